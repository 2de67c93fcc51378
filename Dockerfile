# One image for every Python service of Kết Nối; each compose service picks its command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 KETNOI_STATE_DIR=/state
WORKDIR /app
# DejaVu Sans has every Vietnamese diacritic; the PDF agendas embed it.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY deploy ./deploy
RUN pip install --no-cache-dir -e . && useradd --system --home /state ketnoi \
    && mkdir -p /state/identity && chown -R ketnoi /state
USER ketnoi
CMD ["ketnoi", "--help"]
