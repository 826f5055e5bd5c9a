FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ultrathon ./ultrathon
COPY migrations ./migrations
COPY challenges ./challenges
# Editable, so the package finds migrations/ and challenges/ beside it, as in a clone.
RUN pip install --no-cache-dir -e . && useradd --create-home ultrathon \
    && mkdir -p /var/lib/ultrathon && chown ultrathon /var/lib/ultrathon
USER ultrathon
EXPOSE 8000
CMD ["ultrathon", "web", "--host", "0.0.0.0", "--port", "8000"]
