"""Reading introspection's type references, for the tests that build operations from the
served schema."""


def named(type_ref: dict) -> str:
    while type_ref.get("ofType"):
        type_ref = type_ref["ofType"]
    return type_ref["name"]


def sdl(type_ref: dict) -> str:
    if type_ref["kind"] == "NON_NULL":
        return sdl(type_ref["ofType"]) + "!"
    if type_ref["kind"] == "LIST":
        return f"[{sdl(type_ref['ofType'])}]"
    return type_ref["name"]


def is_list(type_ref: dict) -> bool:
    while type_ref["kind"] == "NON_NULL":
        type_ref = type_ref["ofType"]
    return type_ref["kind"] == "LIST"
