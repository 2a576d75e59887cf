"""The WSGI entry point gunicorn serves: ``gunicorn webui.wsgi:app``."""

from webui import create_app

app = create_app()
