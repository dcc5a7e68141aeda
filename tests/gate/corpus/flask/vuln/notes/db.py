"""The database connection of a request."""

import sqlite3

from flask import current_app, g
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"])
        g.db.row_factory = sqlite3.Row
    return g.db


def session_factory():
    return sessionmaker(create_engine(current_app.config["DATABASE_URL"]))()
