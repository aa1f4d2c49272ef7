# Image for docker-compose.yml: Python 3.12, dependencies from uv.lock, CSS built with npm.
FROM python:3.12-slim
ENV UV_PYTHON_DOWNLOADS=never PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm gettext \
      fonts-ipaexfont libpango-1.0-0 libpangoft2-1.0-0 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
RUN pip install --no-cache-dir uv
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --python /usr/local/bin/python3.12
ENV PATH="/app/.venv/bin:$PATH"
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# .dockerignore keeps the build machine's .venv, node_modules and built files out of this copy.
COPY . .
# The CSS (from frontend/, which is not collected) and the vendored scripts, then the production
# manifest: collectstatic under DJANGO_DEBUG=0 fails on any file that names a missing one.
RUN npm run build && python manage.py compilemessages --ignore=.venv --ignore=node_modules \
    && DJANGO_DEBUG=0 SECRET_KEY=build-only python manage.py collectstatic --noinput
EXPOSE 8000
