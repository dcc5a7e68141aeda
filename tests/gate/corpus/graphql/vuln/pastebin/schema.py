"""A paste bin served over GraphQL (graphene on Flask)."""

import subprocess

import graphene
from flask import Flask
from flask_graphql import GraphQLView
from graphql_jwt.decorators import login_required
from sqlalchemy import text

from pastebin.models import User, db

app = Flask(__name__)


class PasteType(graphene.ObjectType):
    id = graphene.Int()
    title = graphene.String()


class UpdateEmail(graphene.Mutation):
    class Arguments:
        user_id = graphene.Int()
        email = graphene.String()

    ok = graphene.Boolean()

    @login_required
    def mutate(self, info, user_id, email):
        user = User.query.get(user_id)  # VULN: idor
        user.email = email
        db.session.commit()
        return UpdateEmail(ok=True)


class Mutations(graphene.ObjectType):
    update_email = UpdateEmail.Field()


class Query(graphene.ObjectType):
    pastes = graphene.List(PasteType, filter=graphene.String())
    system_debug = graphene.String(arg=graphene.String())

    @login_required
    def resolve_pastes(self, info, filter=None):
        return db.session.execute(text("title = '%s'" % filter)).all()  # noqa: UP031  VULN: sql-injection

    def resolve_system_debug(self, info, arg=None):  # VULN: missing-auth
        return subprocess.check_output("ps " + arg, shell=True).decode()  # VULN: command-injection


schema = graphene.Schema(query=Query, mutation=Mutations)
app.add_url_rule("/graphql", view_func=GraphQLView.as_view("graphql", schema=schema))
