"""Flask-WTF forms: each carries its CSRF token. Rules about cases live in the services; these
only say what a field is, so that the page can label it and show its error beside it."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from app.domain.definitions import ROLES


class SignInForm(FlaskForm):  # type: ignore[misc]
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button that changes something: only the CSRF token (sign-out, sweep, verify...)."""


SignOutForm = ActionForm


class OpenCaseForm(FlaskForm):  # type: ignore[misc]
    country = SelectField("Country", validators=[DataRequired("Country: choose a country")])
    treaty = SelectField("Treaty", validators=[DataRequired("Treaty: choose a treaty")])
    workflow = SelectField(
        "Procedure",
        validators=[Optional()],
        description="The country's own procedure for the treaty where the tracker has one, else "
        "the generic parliamentary one; or choose: the international steps only, a claim "
        "(a suspension, a de-ratification), another procedure. It must be one of the treaty's "
        "and fit the country.",
    )
    began_on = StringField(
        "Procedure began on",
        validators=[Optional()],
        description="If the procedure began before today: its year is part of the reference. "
        "The case is opened today either way; record the steps already taken at their own "
        "dates on the case page.",
    )
    in_force_since = StringField(
        "Treaty in force for the State since",
        validators=[Optional()],
        description="Where the treaty allows notice only years after it entered into force for "
        "the State (Paris Agreement Art. 28(1), UNFCCC Art. 25(1)): that day. A deposit before "
        "the bar is refused, naming the first allowed day.",
    )
    note = TextAreaField("What opened the case", validators=[Optional(), Length(max=2000)])
    allow_duplicate = BooleanField("Yes, open a second case of this country under this treaty")


class NewUserForm(FlaskForm):  # type: ignore[misc]
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    role = SelectField("Role", choices=[SelectChoice(r) for r in ROLES], default="viewer")


class RoleForm(FlaskForm):  # type: ignore[misc]
    role = SelectField("Role", choices=[SelectChoice(r) for r in ROLES])


class ImportForm(FlaskForm):  # type: ignore[misc]
    file = FileField("File", validators=[FileRequired("file: choose a .jsonl or .csv file")])
    format = SelectField(
        "Format",
        choices=[
            SelectChoice("", "By the file's name (.csv, else JSON lines)"),
            SelectChoice("jsonl", "JSON lines: one case per line"),
            SelectChoice("csv", "CSV: one step per row"),
        ],
        validators=[Optional()],
    )
    dry_run = BooleanField("Dry run: check everything, write nothing", default=True)
