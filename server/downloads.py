"""GET /exports/{id}/download?token=…: the file behind a signed link.

The token alone authenticates (links are opened from email): it names the export and its
requester and is checked again here against who may see what now. Every answer says what
happened in plain words, and every one is audited."""

from anyio import to_thread
from sqlalchemy import update
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from downline.core import audit, db
from downline.core.book import roster
from downline.core.book.scope import load_principal
from downline.core.config import get_settings
from downline.core.errors import ExportsDisabled
from downline.core.exports import access as export_access
from downline.core.exports import links
from downline.core.exports import run as exporting
from downline.core.models import Export, utcnow
from downline.core.storage import Storage, get_storage

CHUNK = 64 * 1024


class Refused(Exception):
    def __init__(self, status: int, outcome: str, message: str, email: str | None = None):
        super().__init__(message)
        self.status, self.outcome, self.message, self.email = status, outcome, message, email


def _check(export_id: str, token: str) -> tuple[Export, str]:
    settings = get_settings()
    try:
        link_export, email = links.verify(settings, token)
    except links.LinkExpired as exc:
        raise Refused(
            410,
            "expired",
            "This download link has expired. Download the export again from your export "
            "history to get a fresh link.",
            exc.email,
        ) from exc
    except links.LinkInvalid as exc:
        raise Refused(403, "tampered", "This download link is not valid.") from exc
    if link_export != export_id:
        raise Refused(403, "tampered", "This download link is for another export.", email)
    with db.session() as session:
        principal = load_principal(session, email)
        export = session.get(Export, export_id)
        if principal is None or export is None or export.requester_email != email:
            raise Refused(403, "forbidden", "You may not download this export.", email)
        if export_access.visible(session, principal, export_id) is None:
            raise Refused(
                403,
                "moved",
                "You may no longer download this export: it belongs to the agent or agency "
                "your account stood at when you requested it, and your account has since moved "
                "or changed role.",
                email,
            )
        try:
            roster.check_exports_allowed(session, principal)
        except ExportsDisabled as off:  # the file is kept, for when the switch is on again
            raise Refused(403, "exports_disabled", off.message, email) from off
        if not _file_kept(session, get_storage(settings), export):
            raise Refused(
                404,
                "gone",
                "This export's file is no longer kept. Request the export again.",
                email,
            )
        audit.record(session, "export_downloaded", "ok", actor=principal, export_id=export_id)
        session.commit()
    return export, email


def _file_kept(session, storage: Storage, export: Export) -> bool:
    """Whether the export's file is still stored. A file found missing (deleted by hand, or lost
    by the store) is recorded as deleted, as the sweep records it, so the history stops offering
    a link that can only answer 404."""
    if export.file_deleted_at is not None or export.storage_key is None:
        return False
    if storage.exists(export.storage_key):
        return True
    session.execute(
        update(Export)
        .where(Export.id == export.id, Export.file_deleted_at.is_(None))
        .values(file_deleted_at=utcnow())
    )
    session.commit()
    return False


def _refusal(export_id: str, refused: Refused) -> None:
    with db.session() as session:
        principal = load_principal(session, refused.email) if refused.email else None
        # The path is the caller's: an id holding a NUL names no export (and PostgreSQL would
        # refuse to look it up, turning the 403 into a 500).
        export = session.get(Export, export_id) if "\x00" not in export_id else None
        owner = load_principal(session, export.requester_email) if export else None
        audit.record(
            session,
            "download_refused",
            refused.outcome,
            actor=principal,
            actor_email=refused.email,
            export_id=export_id if export else None,
            agency_id=owner.agency_id if owner else None,
        )
        session.commit()


def _chunks(key: str):
    with get_storage(get_settings()).open(key) as stream:
        while chunk := stream.read(CHUNK):
            yield chunk


async def download(request: Request) -> Response:
    export_id = request.path_params["export_id"]
    token = request.query_params.get("token", "")
    try:
        export, _ = await to_thread.run_sync(_check, export_id, token)
    except Refused as refused:
        await to_thread.run_sync(_refusal, export_id, refused)
        return PlainTextResponse(refused.message, status_code=refused.status)
    headers = {
        "Content-Disposition": f'attachment; filename="{exporting.file_name(export)}"',
        "Cache-Control": "no-store",
    }
    if export.byte_size is not None:
        headers["Content-Length"] = str(export.byte_size)
    return StreamingResponse(
        _chunks(export.storage_key), media_type="text/csv; charset=utf-8", headers=headers
    )
