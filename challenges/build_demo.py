"""Build the four demo challenges from datasets that ship inside scikit-learn and scikit-survival.

Run `python challenges/build_demo.py` to rewrite the folders beside this file, or pass `--out DIR`.
Everything is derived from the packaged data and a fixed seed, so a rebuild is byte-identical;
tests/test_demo_challenges.py holds the committed files to that.
"""

from __future__ import annotations

import argparse
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261102
OPENS = "2026-11-02T09:00:00+01:00"
CLOSES = "2027-02-15T12:00:00+01:00"
ID = "patient_id"
TEST_FRACTION = 0.3
# Of the test rows: Public drives the live leaderboard, Private decides, Ignored is never scored.
USAGE_FRACTIONS = {"Public": 0.3, "Ignored": 0.1}


@dataclass
class Demo:
    """One demo challenge before it is written out."""

    slug: str
    frame: pd.DataFrame  # features, outcome and subgroup columns, one row per patient
    outcome: list[str]  # outcome columns: in train.csv and solution.csv only
    subgroups: list[str]  # subgroup columns of solution.csv
    hidden: list[str]  # columns made for the subgroups, in solution.csv only
    strata: pd.Series  # what the splits keep balanced
    prediction: str
    yaml: str
    readme: str
    baseline: float | None = 0.5  # the sample submission's constant; None: the training mean


def assign_ids(n: int, rng: np.random.Generator) -> list[str]:
    """Return shuffled patient ids, so that an id says nothing about the source's row order."""
    return [f"P{k:05d}" for k in rng.permutation(np.arange(1, n + 1))]


def stratified_pick(strata: pd.Series, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Return a boolean mask that picks `fraction` of the rows of every stratum."""
    mask = np.zeros(len(strata), dtype=bool)
    for value in sorted(strata.unique()):
        rows = np.flatnonzero(strata.to_numpy() == value)
        rng.shuffle(rows)
        mask[rows[: int(round(fraction * len(rows)))]] = True
    return mask


def usage(strata: pd.Series, rng: np.random.Generator) -> np.ndarray:
    """Return Public, Private or Ignored for each test row, balanced within every stratum."""
    out = np.full(len(strata), "Private", dtype=object)
    for value in sorted(strata.unique()):
        rows = np.flatnonzero(strata.to_numpy() == value)
        rng.shuffle(rows)
        public = int(round(USAGE_FRACTIONS["Public"] * len(rows)))
        ignored = int(round(USAGE_FRACTIONS["Ignored"] * len(rows)))
        out[rows[:public]] = "Public"
        out[rows[public : public + ignored]] = "Ignored"
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a CSV the same way on every platform."""
    frame.to_csv(path, index=False, lineterminator="\n")


def build_one(demo: Demo, out: Path, rng: np.random.Generator) -> None:
    """Split one dataset and write its challenge folder."""
    frame = demo.frame.copy()
    frame.insert(0, ID, assign_ids(len(frame), rng))
    test = stratified_pick(demo.strata, TEST_FRACTION, rng)
    features = [c for c in frame.columns if c not in demo.outcome + demo.hidden]

    train = frame.loc[~test, features + demo.outcome].sort_values(ID)
    baseline = demo.baseline
    if baseline is None:
        baseline = round(float(train[demo.outcome[0]].mean()), 2)
    test_rows = frame.loc[test].assign(Usage=usage(demo.strata[test], rng)).sort_values(ID)
    folder = out / demo.slug
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(train, folder / "train.csv")
    write_csv(test_rows[features], folder / "test.csv")
    write_csv(test_rows[[ID, *demo.outcome, "Usage", *demo.subgroups]], folder / "solution.csv")
    sample = pd.DataFrame({ID: test_rows[ID], demo.prediction: baseline})
    write_csv(sample, folder / "sample_submission.csv")

    counts = test_rows["Usage"].value_counts()
    facts = {
        "n": len(frame),
        "n_train": int((~test).sum()),
        "n_test": int(test.sum()),
        "n_public": int(counts.get("Public", 0)),
        "n_private": int(counts.get("Private", 0)),
        "n_ignored": int(counts.get("Ignored", 0)),
        "baseline": baseline,
        "opens": OPENS,
        "closes": CLOSES,
        "seed": SEED,
    }
    (folder / "challenge.yaml").write_text(demo.yaml.format(**facts), encoding="utf-8", newline="\n")
    readme = demo.readme.format(**facts) + RULES.format(**facts)
    (folder / "README.md").write_text(readme, encoding="utf-8", newline="\n")


def yaml_text(body: str) -> str:
    """Return challenge.yaml text with the settings every demo shares."""
    return textwrap.dedent(body).lstrip() + textwrap.dedent("""\
        organisers: [organiser@example.org]
        split:
          usage_column: Usage
          seed: {seed}
        leaderboard: {{decimals: 4, bootstrap: 1000}}
        limits: {{per_day: 5, total: 150, final_selections: 2}}
        teams: {{max_size: 5}}
        """)


RULES = textwrap.dedent("""
    ## Files

    | file | rows | what |
    | --- | --- | --- |
    | `train.csv` | {n_train} | features and outcome: learn from these |
    | `test.csv` | {n_test} | features only: predict these |
    | `sample_submission.csv` | {n_test} | the upload format: every row predicts {baseline}, a baseline to beat |

    The hidden `solution.csv` holds the outcome of every test row, a `Usage` column and the
    subgroup columns; it never leaves the scoring workers.

    ## Leaderboard split

    Every test row gets a prediction, but only some count, and nobody can tell which:

    - **Public** ({n_public} rows, 30% of the test set) drive the live leaderboard. They are enough
      to show a team whether an idea helps, and few enough that tuning against them does not pay.
    - **Private** ({n_private} rows, 60%) decide the final ranking, revealed after the close,
      from each team's chosen final submissions.
    - **Ignored** ({n_ignored} rows, 10%) are predicted and never scored. They stand for the rows an
      organiser withholds after the data freeze (consent withdrawn, a record under audit) without
      changing the test file, and they blur any attempt to reverse-engineer the split.

    The split is stratified on the outcome, so each part has the outcome's overall mix.

    ## Rules

    - Up to 5 submissions a day and 150 in all per team; failed uploads do not count.
    - Teams of up to 5 people; one account per person, one team per person.
    - Choose up to 2 final submissions: they are the ones ranked on the private leaderboard.
    - Use only the files given here; do not try to identify anyone in the data.
    - Scores carry 95% bootstrap intervals (1,000 resamples): a lead smaller than the interval
      may be noise.

    ## Dates

    Opens {opens}; closes {closes}.
    These are **demo dates**, chosen so that the demo is open now; a real challenge
    typically runs six weeks.
    """)


def flchain() -> Demo:
    """Build the serum free light chain survival challenge."""
    from sksurv.datasets import load_flchain

    x, y = load_flchain()
    frame = pd.DataFrame({
        "age": x["age"].astype(int),
        "sex": x["sex"].astype(str),
        "sample_yr": x["sample.yr"].astype(int),
        "kappa": x["kappa"],
        "lambda": x["lambda"],
        "flc_grp": x["flc.grp"].astype(int),
        "creatinine": x["creatinine"],
        "mgus": (x["mgus"].astype(str) == "yes").astype(int),
        # chapter (the cause of death) is left out: it is known only for those who died.
        "futime": y["futime"].astype(int),
        "death": y["death"].astype(int),
    })
    frame["age_band"] = pd.cut(frame["age"], [0, 59, 69, 79, 200], labels=["50-59", "60-69", "70-79", "80+"]).astype(str)
    return Demo(
        slug="flchain-survival",
        frame=frame,
        outcome=["futime", "death"],
        subgroups=["sex", "age_band"],
        hidden=["age_band"],
        strata=frame["death"],
        prediction="risk",
        yaml=yaml_text("""
            slug: flchain-survival
            title: Free light chains and all-cause mortality
            summary: Rank residents of Olmsted County by their risk of death from a single blood sample.
            description: README.md
            task: survival
            opens: {opens}
            closes: {closes}
            data:
              id_column: patient_id
              public: [train.csv, test.csv, sample_submission.csv]
              solution: solution.csv
              target: {{time: futime, event: death}}
            submission:
              columns: [risk]
              max_mb: 5
            metrics:
              primary: harrell_c
              secondary: [uno_c, td_auc]
              options: {{tau: 3650, horizons: [1825, 3650]}}
            subgroups: [sex, age_band]
            """),
        readme=textwrap.dedent("""\
            # Free light chains and all-cause mortality

            ## The clinical question

            Serum free light chains (FLC) are fragments of antibodies. In a population study of
            residents of Olmsted County, Minnesota, aged 50 and over, a high total FLC predicted
            death from any cause, not only from plasma-cell disease. Given one blood sample
            (kappa and lambda FLC, creatinine) and age and sex, **rank people by their risk of
            dying during follow-up**.

            {n} people; 27.5% died during up to 14 years of follow-up, the rest are censored at
            their last contact.

            ## Data dictionary

            | column | meaning |
            | --- | --- |
            | `patient_id` | row identifier (P00001 ...), assigned at random |
            | `age` | age in years at the blood sample |
            | `sex` | F or M |
            | `sample_yr` | calendar year of the blood sample |
            | `kappa` | serum free light chain, kappa portion (mg/dL) |
            | `lambda` | serum free light chain, lambda portion (mg/dL) |
            | `flc_grp` | FLC group 1-10 of the original analysis (deciles of total FLC) |
            | `creatinine` | serum creatinine (mg/dL); blank when not measured |
            | `mgus` | 1 if diagnosed with monoclonal gammopathy of undetermined significance |
            | `futime` | days from the sample to death or last contact (outcome; `train.csv` only) |
            | `death` | 1 if the person died, 0 if censored (outcome; `train.csv` only) |

            The source's cause-of-death column is left out: it is filled in only for people who
            died, so it would give the outcome away.

            ## What to submit

            One row per `patient_id` of `test.csv` with a column `risk`: any number, higher
            meaning earlier death. Only the order matters.

            ## Metrics and why

            - **Harrell's C** (primary): the share of comparable pairs of people in which the one
              who died first had the higher predicted risk. It judges ranking, which is what a
              risk score is for, and it needs no time horizon. 0.5 is chance, 1 is perfect.
            - **Uno's C** (secondary, truncated at 3650 days): the same question with
              inverse-probability-of-censoring weights, so that its value depends less on how
              much of the follow-up was censored.
            - **Time-dependent AUC** (secondary, at 5 and 10 years): how well the score separates
              those who died by the horizon from those still alive then.

            Scores are also reported by sex and by age band (50-59, 60-69, 70-79, 80+) after the
            close: a score that works only for the oldest is worth knowing about.

            ## Source and citation

            The `flchain` data of the R `survival` package, as shipped with scikit-survival
            (`sksurv.datasets.load_flchain`).

            - Dispenzieri A, Katzmann JA, Kyle RA, et al. Use of nonclonal serum immunoglobulin
              free light chains to predict overall survival in the general population.
              *Mayo Clin Proc.* 2012;87(6):517-523. doi:10.1016/j.mayocp.2012.03.009
            - Kyle RA, Therneau TM, Rajkumar SV, et al. Prevalence of monoclonal gammopathy of
              undetermined significance. *N Engl J Med.* 2006;354:1362-1369.
            """),
    )


def actg320() -> Demo:
    """Build the ACTG 320 time-to-AIDS challenge."""
    from sksurv.datasets import load_aids

    x, y = load_aids()
    frame = pd.DataFrame({
        "age": x["age"].astype(int),
        "sex": np.where(x["sex"].astype(str) == "1", "M", "F"),
        "raceth": x["raceth"].astype(int),
        "ivdrug": x["ivdrug"].astype(int),
        "hemophil": x["hemophil"].astype(int),
        "karnof": x["karnof"].astype(int),
        "cd4": x["cd4"],
        "priorzdv": x["priorzdv"].astype(int),
        "strat2": x["strat2"].astype(int),
        "tx": x["tx"].astype(int),
        "txgrp": x["txgrp"].astype(int),
        "days": y["time"].astype(int),
        "aids_or_death": y["censor"].astype(int),
    })
    frame["arm"] = np.where(frame["tx"] == 1, "indinavir", "control")
    return Demo(
        slug="actg320-aids",
        frame=frame,
        outcome=["days", "aids_or_death"],
        subgroups=["arm", "sex"],
        hidden=["arm"],
        strata=frame["aids_or_death"].astype(str) + frame["tx"].astype(str),
        prediction="risk",
        yaml=yaml_text("""
            slug: actg320-aids
            title: "ACTG 320: time to AIDS or death"
            summary: Rank people with advanced HIV by their risk of AIDS or death within a year.
            description: README.md
            task: survival
            opens: {opens}
            closes: {closes}
            data:
              id_column: patient_id
              public: [train.csv, test.csv, sample_submission.csv]
              solution: solution.csv
              target: {{time: days, event: aids_or_death}}
            submission:
              columns: [risk]
              max_mb: 2
            metrics:
              primary: harrell_c
            subgroups: [arm, sex]
            """),
        readme=textwrap.dedent("""\
            # ACTG 320: time to AIDS or death

            ## The clinical question

            ACTG 320 was a randomised, double-blind trial in people with HIV and at most 200
            CD4 cells/mm³ who had taken zidovudine before. Adding the protease inhibitor
            indinavir to two nucleoside drugs halved the rate of AIDS or death. Given the
            baseline record (CD4 count, performance status, prior treatment, treatment arm),
            **rank participants by their risk of an AIDS-defining event or death** during the
            year of follow-up.

            {n} participants; only 96 (8.3%) had the event, so every score here is uncertain:
            read the intervals.

            ## Data dictionary

            | column | meaning |
            | --- | --- |
            | `patient_id` | row identifier (P00001 ...), assigned at random |
            | `age` | age in years at enrolment |
            | `sex` | M or F (coded 1 and 2 in the source) |
            | `raceth` | 1 White non-Hispanic, 2 Black non-Hispanic, 3 Hispanic, 4 Asian or Pacific Islander, 5 American Indian or Alaskan Native |
            | `ivdrug` | intravenous drug use: 1 never, 2 currently, 3 previously |
            | `hemophil` | 1 if haemophiliac |
            | `karnof` | Karnofsky performance score: 100 normal, 90 minor symptoms, 80 normal activity with effort, 70 unable to do normal activity |
            | `cd4` | baseline CD4 count (cells/mm³) |
            | `priorzdv` | months of prior zidovudine (ZDV) use |
            | `strat2` | CD4 stratum at screening: 0 at most 50, 1 above 50 |
            | `tx` | 1 if the regimen included indinavir (IDV), 0 control |
            | `txgrp` | 1 ZDV+3TC, 2 ZDV+3TC+IDV, 3 d4T+3TC, 4 d4T+3TC+IDV |
            | `days` | days to AIDS diagnosis, death or last contact (outcome; `train.csv` only) |
            | `aids_or_death` | 1 if AIDS was diagnosed or the person died, 0 if censored (outcome; `train.csv` only; `censor` in the source) |

            ## What to submit

            One row per `patient_id` of `test.csv` with a column `risk`: any number, higher
            meaning an earlier event. Only the order matters.

            ## Metric and why

            **Harrell's C**: the share of comparable pairs in which the participant with the
            earlier event had the higher predicted risk. Follow-up is under a year (the trial
            was stopped early, for benefit), so one concordance over the whole follow-up is the
            natural summary, with no time horizon to choose. 0.5 is chance, 1 is perfect.

            Scores are also reported by treatment arm (indinavir or control) and by sex after the
            close: a risk score that ignores the treatment's effect will rank the arms poorly.

            ## Source and citation

            The ACTG 320 data set of Hosmer, Lemeshow and May, as shipped with scikit-survival
            (`sksurv.datasets.load_aids`).

            - Hammer SM, Squires KE, Hughes MD, et al. A controlled trial of two nucleoside
              analogues plus indinavir in persons with human immunodeficiency virus infection
              and CD4 cell counts of 200 per cubic millimeter or less. *N Engl J Med.*
              1997;337:725-733. doi:10.1056/NEJM199709113371101
            - Hosmer DW, Lemeshow S, May S. *Applied Survival Analysis: Regression Modeling of
              Time-to-Event Data*, 2nd ed. Wiley; 2008.
            """),
    )


def breast_cancer() -> Demo:
    """Build the Wisconsin diagnostic breast cancer challenge."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    frame = data.data.copy()
    frame.columns = [_snake(c) for c in frame.columns]
    frame["malignant"] = (data.target == 0).astype(int)  # scikit-learn codes malignant as 0
    return Demo(
        slug="breast-cancer-diagnosis",
        frame=frame,
        outcome=["malignant"],
        subgroups=[],
        hidden=[],
        strata=frame["malignant"],
        prediction="probability",
        baseline=None,
        yaml=yaml_text("""
            slug: breast-cancer-diagnosis
            title: Breast mass diagnosis from fine-needle aspirates
            summary: Tell malignant from benign breast masses from digitised cell-nucleus measurements.
            description: README.md
            task: binary
            opens: {opens}
            closes: {closes}
            data:
              id_column: patient_id
              public: [train.csv, test.csv, sample_submission.csv]
              solution: solution.csv
              target: malignant
            submission:
              columns: [probability]
              max_mb: 1
            metrics:
              primary: roc_auc
              secondary: [average_precision, brier]
            """),
        readme=textwrap.dedent("""\
            # Breast mass diagnosis from fine-needle aspirates

            ## The clinical question

            A fine-needle aspirate of a breast mass is imaged under a microscope, and the cell
            nuclei in the image are outlined and measured. Given those measurements,
            **estimate the probability that the mass is malignant**.

            {n} masses; 37% malignant.

            ## Data dictionary

            Ten properties are measured on every nucleus in the image: `radius` (mean distance
            from the centre to the outline), `texture` (standard deviation of grey levels),
            `perimeter`, `area`, `smoothness` (local variation in radius), `compactness`
            (perimeter² / area - 1), `concavity` (depth of concave parts of the outline),
            `concave_points` (number of concave parts), `symmetry` and `fractal_dimension`
            ("coastline approximation" - 1). Each appears three times:

            | column | meaning |
            | --- | --- |
            | `patient_id` | row identifier (P00001 ...), assigned at random |
            | `mean_<property>` | mean over the nuclei of the image |
            | `<property>_se` | standard error over the nuclei |
            | `worst_<property>` | mean of the three largest values |
            | `malignant` | 1 malignant, 0 benign (outcome; `train.csv` only) |

            ## What to submit

            One row per `patient_id` of `test.csv` with a column `probability`: the probability
            of malignancy, between 0 and 1.

            ## Metrics and why

            - **AUROC** (primary): the chance that a random malignant mass gets a higher
              probability than a random benign one. It judges discrimination at every threshold,
              so it does not depend on where a clinic would set its cut-off.
            - **Average precision** (secondary): the area under the precision-recall curve, which
              weighs how well the malignant masses are found.
            - **Brier score** (secondary, lower is better): the mean squared error of the
              probabilities. It rewards calibration: a probability of 0.8 should be right 80% of
              the time, which matters when the number is shown to a patient.

            ## Source and citation

            The Breast Cancer Wisconsin (Diagnostic) data set of the UCI Machine Learning
            Repository (CC BY 4.0), as shipped with scikit-learn
            (`sklearn.datasets.load_breast_cancer`).

            - Street WN, Wolberg WH, Mangasarian OL. Nuclear feature extraction for breast tumor
              diagnosis. *Proc. SPIE* 1905, Biomedical Image Processing and Biomedical
              Visualization, 1993:861-870. doi:10.1117/12.148698
            - Wolberg WH, Street WN, Mangasarian OL. Breast Cancer Wisconsin (Diagnostic). UCI
              Machine Learning Repository, 1995. doi:10.24432/C5DW2B
            """),
    )


def diabetes() -> Demo:
    """Build the diabetes progression regression challenge."""
    from sklearn.datasets import load_diabetes

    data = load_diabetes(as_frame=True, scaled=False)
    x = data.data
    frame = pd.DataFrame({
        "age": x["age"].astype(int),
        "sex": x["sex"].astype(int),
        "bmi": x["bmi"],
        "bp": x["bp"],
        "tc": x["s1"].astype(int),
        "ldl": x["s2"],
        "hdl": x["s3"],
        "tch": x["s4"],
        "ltg": x["s5"],
        "glu": x["s6"].astype(int),
        "progression": data.target.astype(int),
    })
    return Demo(
        slug="diabetes-progression",
        frame=frame,
        outcome=["progression"],
        subgroups=["sex"],
        hidden=[],
        strata=pd.qcut(frame["progression"], 4, labels=False),
        prediction="prediction",
        baseline=None,
        yaml=yaml_text("""
            slug: diabetes-progression
            title: Diabetes progression after one year
            summary: Predict a quantitative measure of diabetes progression one year after baseline.
            description: README.md
            task: regression
            opens: {opens}
            closes: {closes}
            data:
              id_column: patient_id
              public: [train.csv, test.csv, sample_submission.csv]
              solution: solution.csv
              target: progression
            submission:
              columns: [prediction]
              max_mb: 1
            metrics:
              primary: rmse
              secondary: [mae]
            subgroups: [sex]
            """),
        readme=textwrap.dedent("""\
            # Diabetes progression after one year

            ## The clinical question

            For people with diabetes, age, sex, body-mass index, blood pressure and six blood
            serum measurements were taken at baseline. **Predict the progression of the disease
            one year later**, measured on a quantitative scale (25 to 346; higher is worse).

            {n} patients.

            ## Data dictionary

            | column | meaning |
            | --- | --- |
            | `patient_id` | row identifier (P00001 ...), assigned at random |
            | `age` | age in years |
            | `sex` | 1 or 2; the source does not say which is which |
            | `bmi` | body-mass index (kg/m²) |
            | `bp` | average blood pressure (mm Hg) |
            | `tc` | total serum cholesterol (mg/dL) |
            | `ldl` | low-density lipoproteins (mg/dL) |
            | `hdl` | high-density lipoproteins (mg/dL) |
            | `tch` | total cholesterol / HDL |
            | `ltg` | log of serum triglycerides |
            | `glu` | blood sugar level (mg/dL) |
            | `progression` | disease progression one year after baseline (outcome; `train.csv` only) |

            ## What to submit

            One row per `patient_id` of `test.csv` with a column `prediction`: the predicted
            progression, on the scale of `progression`.

            ## Metrics and why

            - **RMSE** (primary, lower is better): root mean squared error, in the units of the
              outcome. Squaring punishes large misses most, and a large miss is what misleads a
              clinician planning follow-up.
            - **MAE** (secondary, lower is better): the mean absolute error, the typical miss,
              less swayed by a few extreme patients.

            Scores are also reported by sex (1 and 2, as in the source) after the close.

            ## Source and citation

            The diabetes data of Efron et al., as shipped with scikit-learn
            (`sklearn.datasets.load_diabetes(scaled=False)`); columns s1-s6 renamed to the
            names of the original file.

            - Efron B, Hastie T, Johnstone I, Tibshirani R. Least angle regression.
              *Ann Statist.* 2004;32(2):407-499. doi:10.1214/009053604000000067
            """),
    )


def _snake(name: str) -> str:
    """Return scikit-learn's 'mean concave points' or 'radius error' as mean_concave_points, radius_se."""
    return name.replace(" error", " se").replace(" ", "_")


DEMOS = (flchain, actg320, breast_cancer, diabetes)


def build(out: Path) -> list[Path]:
    """Write every demo challenge folder under out; return the folders."""
    folders = []
    for offset, make in enumerate(DEMOS):
        demo = make()
        build_one(demo, out, np.random.default_rng(SEED + offset))
        folders.append(out / demo.slug)
    return folders


def main() -> None:
    """Build the demo challenges from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    for folder in build(parser.parse_args().out):
        print(folder)


if __name__ == "__main__":
    main()
