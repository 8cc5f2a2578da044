"""The python runtime's app skeleton: FaaSO owns this file, the funko owns funko.py.

Routes come from funko.py (a Flask Blueprint named bp); this file adds GET /ping.
gunicorn (see gunicorn.conf.py) serves `app` on port 3000.
"""
from flask import Flask

import funko

app = Flask(__name__)


@app.get("/ping")
def ping():
    return "OK", 200, {"Content-Type": "text/plain; charset=utf-8"}


app.register_blueprint(funko.bp)
