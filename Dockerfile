# Production image: API + worker against a real MongoDB replica set.
# The embedded SecantusDB (GPL-2.0) is deliberately NOT installed here: set PHANANH_MONGODB_URI.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PHANANH_ENV=prod
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api ./api
COPY core ./core
COPY classifiers ./classifiers
COPY notifications ./notifications
COPY mobile_contracts ./mobile_contracts
# torch first, from PyTorch's CPU index: PyPI's torch==2.13.0 for Linux x86_64 is the CUDA build
# (several GB of GPU libraries this service never uses). 2.13.0+cpu satisfies the project's
# torch==2.13.0 pin, so the second install keeps it.
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN pip install --no-cache-dir --index-url "$TORCH_INDEX" torch==2.13.0 \
    && pip install --no-cache-dir . && useradd --system --uid 10001 phananh
USER phananh
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
# Requires: PHANANH_MONGODB_URI (mongodb+srv://... of a replica set), PHANANH_FIREBASE_PROJECT_ID,
# PHANANH_PHOTO_URL_KEY (32+ random characters: signed photo links; the API refuses to start without it),
# and for pushes PHANANH_FIREBASE_CREDENTIALS (a mounted service-account JSON) and PHANANH_PUBLIC_BASE_URL.
CMD ["phananh", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
