"""Each list filter is declared once (core/book/filters.py, core/production/filters.py): its
GraphQL input, its export parameters, their checks and the filter the list query takes are all
derived from the declaration, and a new field is one declared field."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
import strawberry
from strawberry.utils.str_converters import to_camel_case

from downline.core.book.filters import ID, ClientFilter, Exchange, LeadFilter, declared, fields
from downline.core.errors import BadUserInput
from downline.core.exports import paramtypes
from downline.core.exports.kit import (
    CLIENT_FILTER,
    LEAD_FILTER,
    PRODUCTION_FILTER,
    client_filter,
    from_params,
    parameters,
    production_filter,
)
from downline.core.exports.params import validate
from downline.core.exports.types import ExportColumn, ExportScope, ExportType
from downline.core.production.filters import ProductionFilter
from downline.core.production.vocabulary import PolicyStatus, ProductType
from downline.schema import schema
from downline.schema.book import ClientFilterInput
from downline.schema.filters import filter_input
from downline.schema.production import ProductionFilterInput

EXPORT_PARAMETERS = {
    ClientFilter: CLIENT_FILTER,
    LeadFilter: LEAD_FILTER,
    ProductionFilter: PRODUCTION_FILTER,
}
SERVED = schema._schema  # graphql-core's view of the served schema: defaults as values


def export_of(*parameters) -> ExportType:
    return ExportType(
        key="sample",
        title="Sample",
        description="A type to validate params against.",
        scopes=(ExportScope.AGENT,),
        parameters=parameters,
        columns=(ExportColumn("id", "An id."),),
        query=lambda ctx: None,
    )


@pytest.mark.parametrize("declaration", EXPORT_PARAMETERS, ids=lambda d: d.__name__)
def test_the_graphql_input_is_the_declaration(declaration):
    served = SERVED.get_type(declaration.__name__)
    got = [(name, f.default_value, f.description) for name, f in served.fields.items()]
    assert got == [(f.api_name, f.default, f.doc) for f in fields(declaration)]


@pytest.mark.parametrize("declaration", EXPORT_PARAMETERS, ids=lambda d: d.__name__)
def test_the_export_parameters_are_the_declaration_spelled_as_the_graphql_input(declaration):
    """Names, types (the GraphQL spelling) and defaults as the input's; described by meaning."""
    served = SERVED.get_type(declaration.__name__)
    got = [(p.name, p.type, p.required, p.default) for p in EXPORT_PARAMETERS[declaration]]
    expected = [(name, str(f.type), False, f.default_value) for name, f in served.fields.items()]
    assert got == expected
    meanings = [p.description for p in EXPORT_PARAMETERS[declaration]]
    assert meanings == [f.meaning for f in fields(declaration)]
    assert all(meanings)


@pytest.mark.parametrize("declaration", EXPORT_PARAMETERS, ids=lambda d: d.__name__)
def test_the_api_spelling_is_strawberrys_camel_case(declaration):
    assert [f.api_name for f in fields(declaration)] == [
        to_camel_case(f.name) for f in fields(declaration)
    ]


@pytest.mark.parametrize("declaration", EXPORT_PARAMETERS, ids=lambda d: d.__name__)
def test_every_declared_type_is_one_a_parameter_may_name(declaration):
    for f in fields(declaration):
        spelling = paramtypes.of(f.type).spelling
        assert paramtypes.named(spelling) is not None, f.name


@pytest.mark.parametrize(
    ("parameters", "params", "message"),
    [
        (
            CLIENT_FILTER,
            {"submittedFrom": "yesterday"},
            "submittedFrom must be a date (YYYY-MM-DD) (Date), got 'yesterday'",
        ),
        (
            CLIENT_FILTER,
            {"includeArchived": "yes"},
            "includeArchived must be true or false (Boolean), got 'yes'",
        ),
        (
            CLIENT_FILTER,
            {"exchange": "on_ex"},
            "exchange must be an Exchange: one of ON_EX, OFF_EX (Exchange), got 'on_ex'",
        ),
        (
            LEAD_FILTER,
            {"agentIds": "a-1"},
            "agentIds must be a list of IDs ([ID!]), got 'a-1'",
        ),
        (
            LEAD_FILTER,
            {"search": "x" * 201},
            # A long value is quoted back cut short: the error must not echo megabytes.
            f"search must be a string of at most 200 characters (String), got '{'x' * 59}… "
            "(203 characters)",
        ),
        (
            PRODUCTION_FILTER,
            {"statuses": ["ACTIVE", "GONE"]},
            "statuses must be a PolicyStatus: one of APPROVED, ACTIVE, ATTRITED, DECEASED, "
            "POLICY_DISENROLLMENT, UNKNOWN ([PolicyStatus!]), got ['ACTIVE', 'GONE']",
        ),
        (
            PRODUCTION_FILTER,
            {"productTypes": "MAPD"},
            "productTypes must be a list of ProductType values ([ProductType!]), got 'MAPD'",
        ),
        (
            PRODUCTION_FILTER,
            {"product_types": ["MAPD"]},
            "sample has no parameter 'product_types' (parameters: agentIds, agencyIds, carriers, "
            "productTypes, statuses, states, effectiveFrom, effectiveTo, notSeenSince, "
            "updatedSince, withoutApplication)",
        ),
        (
            PRODUCTION_FILTER,
            {"updatedSince": "0001-01-01T00:00:00+05:00"},
            "updatedSince must be a date and time within the years 1 to 9999 in UTC (DateTime), "
            "got '0001-01-01T00:00:00+05:00'",
        ),
        (
            PRODUCTION_FILTER,
            {"updatedSince": "2026-13-01T00:00:00Z"},
            "updatedSince must be a date and time (YYYY-MM-DDTHH:MM:SS+00:00) (DateTime), "
            "got '2026-13-01T00:00:00Z'",
        ),
    ],
)
def test_validation_names_the_field(parameters, params, message):
    with pytest.raises(BadUserInput) as refused:
        validate(export_of(*parameters), params)
    assert str(refused.value) == message
    assert refused.value.field == next(iter(params))


def test_params_and_the_graphql_input_make_the_same_filter():
    """An export's params read back into the very filter the list takes for the same input."""
    params = validate(
        export_of(*CLIENT_FILTER),
        {"agentIds": ["a-1", 7], "submittedFrom": "2026-01-31", "exchange": "OFF_EX"},
    )
    assert params["submittedFrom"] == "2026-01-31"  # params stay JSON: they are stored
    expected = ClientFilter(
        agent_ids=["a-1", "7"], submitted_from=date(2026, 1, 31), exchange=Exchange.OFF_EX
    )
    assert client_filter(params) == expected
    given = ClientFilterInput(
        agent_ids=["a-1", "7"],
        submitted_from=date(2026, 1, 31),
        exchange=Exchange.OFF_EX,
        include_archived=None,  # null takes the declared default, as a param left out does
    )
    assert given.to_core() == expected

    params = validate(export_of(*PRODUCTION_FILTER), {"productTypes": ["PDP"], "statuses": []})
    expected = ProductionFilter(product_types=[ProductType.PDP], statuses=[])
    assert production_filter(params) == expected
    assert ProductionFilterInput(product_types=[ProductType.PDP], statuses=[]).to_core() == expected


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("2026-12-01T09:30:00-05:00", "2026-12-01T14:30:00+00:00"),
        ("2026-12-01T14:30:00Z", "2026-12-01T14:30:00+00:00"),
        ("2026-12-01T14:30:00", "2026-12-01T14:30:00+00:00"),  # no offset: UTC, as the API reads
    ],
)
def test_a_datetime_param_is_kept_in_utc_and_read_back_as_that_instant(given, kept):
    params = validate(
        export_of(*PRODUCTION_FILTER), {"updatedSince": given, "notSeenSince": "2026-11-30"}
    )
    assert params["updatedSince"] == kept
    instant = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    assert production_filter(params) == ProductionFilter(
        updated_since=instant, not_seen_since=date(2026, 11, 30)
    )


# A filter with fields of its own, each one declared field and nothing else: what adding a field
# to a list filter takes.
@dataclass(frozen=True)
class SampleFilter:
    agent_ids: list[ID] | None = declared("Only these agents' rows.")
    min_members: int | None = declared("At least this many people.", doc="People, at least.")
    exchanges: list[Exchange] | None = declared("Any of these.")
    only_open: bool = declared("Only open ones.", default=True)
    due_from: date | None = declared("Due on or after this day.")


SampleFilterInput = filter_input(SampleFilter)


@strawberry.type
class SampleQuery:
    @strawberry.field
    def sample(self, filter: SampleFilterInput | None = None) -> str:
        return repr((filter or SampleFilterInput()).to_core())


def test_a_declared_field_is_in_the_graphql_input_the_parameters_and_the_filter():
    sample_schema = strawberry.Schema(SampleQuery)
    assert '''input SampleFilter {
  agentIds: [ID!] = null

  """People, at least."""
  minMembers: Int = null
  exchanges: [Exchange!] = null
  onlyOpen: Boolean = true
  dueFrom: Date = null
}''' in sample_schema.as_str()
    query = "{ sample(filter: {minMembers: 2, exchanges: [OFF_EX], onlyOpen: null}) }"
    result = sample_schema.execute_sync(query)
    assert result.errors is None
    expected = SampleFilter(min_members=2, exchanges=[Exchange.OFF_EX], only_open=True)
    assert result.data["sample"] == repr(expected)

    sample = export_of(*parameters(SampleFilter))
    assert [(p.name, p.type, p.default, p.description) for p in sample.parameters] == [
        ("agentIds", "[ID!]", None, "Only these agents' rows."),
        ("minMembers", "Int", None, "At least this many people."),
        ("exchanges", "[Exchange!]", None, "Any of these."),
        ("onlyOpen", "Boolean", True, "Only open ones."),
        ("dueFrom", "Date", None, "Due on or after this day."),
    ]
    params = validate(sample, {"minMembers": 2, "exchanges": ["OFF_EX"], "dueFrom": "2026-02-01"})
    assert from_params(SampleFilter, params) == SampleFilter(
        min_members=2, exchanges=[Exchange.OFF_EX], due_from=date(2026, 2, 1)
    )
    with pytest.raises(BadUserInput) as refused:
        validate(sample, {"minMembers": "2"})
    assert refused.value.field == "minMembers"


def test_a_type_no_parameter_may_have_is_refused_when_declared():
    with pytest.raises(TypeError, match="no export parameter type"):
        paramtypes.of(float)
    assert paramtypes.named("[Float!]") is None
    assert paramtypes.of(list[PolicyStatus]).spelling == "[PolicyStatus!]"
