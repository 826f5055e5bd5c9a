def scor(solution, submission, row_id_column_name):
    return 0.5
