FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY kizuna kizuna
COPY municipalities municipalities
COPY subscribers subscribers
COPY content content
COPY delivery delivery
RUN pip install --no-cache-dir .
COPY . .
# Collected as production serves them (hashed names, a manifest), not with DEBUG's storage.
RUN DEBUG=false SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v 0 \
    && useradd --create-home kizuna && chown -R kizuna /app
USER kizuna
EXPOSE 8000
CMD ["gunicorn", "kizuna.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
