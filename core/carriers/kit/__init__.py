"""The carrier parsing kit: what a carrier plugin is built from (public API, re-exported by
`downline.plugins`). A plugin is data — columns, date format, product words, status table, the file
layout — handed to `carrier_parser`; the logic lives here, shared by every carrier.
"""

from downline.core.carriers.kit.carrier import CarrierFormat, carrier_parser, trailer_pattern
from downline.core.carriers.kit.cells import cell_text, header_key, word_key
from downline.core.carriers.kit.dates import (
    EXCEL_DATE_CELL,
    EXCEL_SERIAL,
    DateKind,
    Strftime,
    birth_date,
    century_year,
    date_kind,
    excel_serial_date,
)
from downline.core.carriers.kit.headers import (
    DATE_FIELDS,
    FIELDS,
    MASKED_FIELDS,
    TEXT_FIELDS,
    HeaderMap,
    HeaderSpec,
    column_table,
)
from downline.core.carriers.kit.names import split_first_last, split_last_first
from downline.core.carriers.kit.records import (
    RecordRules,
    cited,
    clean_npn,
    join_plan_id,
    product_table,
    to_record,
)
from downline.core.carriers.kit.rows import Delimited, Excel, FixedWidth, Row, text_lines
from downline.core.carriers.kit.statuses import (
    ENDED,
    StatusTable,
    ended_status,
    infer_status,
    source_status,
    status_table,
)

__all__ = [
    "DATE_FIELDS",
    "ENDED",
    "EXCEL_DATE_CELL",
    "EXCEL_SERIAL",
    "FIELDS",
    "MASKED_FIELDS",
    "TEXT_FIELDS",
    "CarrierFormat",
    "DateKind",
    "Delimited",
    "Excel",
    "FixedWidth",
    "HeaderMap",
    "HeaderSpec",
    "RecordRules",
    "Row",
    "StatusTable",
    "Strftime",
    "birth_date",
    "carrier_parser",
    "cell_text",
    "century_year",
    "cited",
    "clean_npn",
    "column_table",
    "date_kind",
    "ended_status",
    "excel_serial_date",
    "header_key",
    "infer_status",
    "join_plan_id",
    "product_table",
    "source_status",
    "split_first_last",
    "split_last_first",
    "status_table",
    "text_lines",
    "to_record",
    "trailer_pattern",
    "word_key",
]
