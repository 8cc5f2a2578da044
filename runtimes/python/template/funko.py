"""Your code. Add routes to this Flask Blueprint; FaaSO serves it on port 3000
and answers GET /ping for health checks. Docs: https://flask.palletsprojects.com/en/2.2.x/
"""
from flask import Blueprint

bp = Blueprint("funko", __name__)


@bp.get("/")
def hello():
    return "Hello World Python!", 200, {"Content-Type": "text/plain; charset=utf-8"}
