"""A paste bin served over GraphQL (graphene on Flask)."""

import subprocess

import graphene
from flask import Flask
from flask_graphql import GraphQLView
from graphql_jwt.decorators import login_required, superuser_required
from sqlalchemy import select

from pastebin.models import Paste, db

app = Flask(__name__)
PS_OPTIONS = {"all": "-e", "full": "-f"}


class PasteType(graphene.ObjectType):
    id = graphene.Int()
    title = graphene.String()


class UpdateEmail(graphene.Mutation):
    class Arguments:
        email = graphene.String()

    ok = graphene.Boolean()

    @login_required
    def mutate(self, info, email):
        user = info.context.user
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
        return db.session.execute(select(Paste).where(Paste.title == filter)).all()

    @superuser_required
    def resolve_system_debug(self, info, arg=None):
        return subprocess.check_output(["ps", PS_OPTIONS.get(arg, "-e")]).decode()


schema = graphene.Schema(query=Query, mutation=Mutations)
app.add_url_rule("/graphql", view_func=GraphQLView.as_view("graphql", schema=schema))
