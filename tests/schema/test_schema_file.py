"""schema.graphql is exactly what `downline export-schema` prints, and the served schema holds the
whole API contract (a copy in tests/fixtures) with the same types."""

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    build_schema,
)
from typer.testing import CliRunner

from downline.server.cli import app

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "tests" / "fixtures" / "contract.graphql"


def served_sdl() -> str:
    result = CliRunner().invoke(app, ["export-schema"])
    assert result.exit_code == 0, result.output
    return result.output


def test_schema_file_is_current():
    assert (ROOT / "schema.graphql").read_text() == served_sdl(), "run `make schema`"


def contract_gaps(served) -> set[str]:
    contract = build_schema(CONTRACT.read_text())
    gaps = set()
    for name, expected in contract.type_map.items():
        if name.startswith("__"):
            continue
        got = served.type_map.get(name)
        if got is None:
            gaps.add(name)
            continue
        if isinstance(expected, GraphQLEnumType):
            gaps |= {f"{name}.{v}" for v in expected.values if v not in got.values}
        if isinstance(expected, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in expected.fields.items():
                served_field = got.fields.get(field_name)
                if served_field is None or str(served_field.type) != str(field.type):
                    gaps.add(f"{name}.{field_name}")
                    continue
                for arg_name, arg in getattr(field, "args", {}).items():
                    served_arg = served_field.args.get(arg_name)
                    if served_arg is None or str(served_arg.type) != str(arg.type):
                        gaps.add(f"{name}.{field_name}({arg_name})")
            if isinstance(expected, GraphQLObjectType):
                missing_interfaces = {i.name for i in expected.interfaces} - {
                    i.name for i in got.interfaces
                }
                gaps |= {f"{name} implements {i}" for i in missing_interfaces}
    return gaps


def test_served_schema_holds_the_contract():
    assert contract_gaps(build_schema(served_sdl())) == set(), "contract names missing or reshaped"
