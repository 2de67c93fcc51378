"""Typed dependencies the conferences routes share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response

from services.conferences.domain.model import Language
from services.conferences.downloads import Download
from services.conferences.jobs import PairingJobs


def get_pairing_jobs(request: Request) -> PairingJobs:
    jobs = getattr(request.app.state, "pairing_jobs", None)
    if not isinstance(jobs, PairingJobs):
        raise RuntimeError("the app was not built by services.conferences.service.create_app")
    return jobs


PairingJobsDep = Annotated[PairingJobs, Depends(get_pairing_jobs)]

LanguageQuery = Annotated[
    Language, Query(alias="lang", description="vi (tiếng Việt) or en (English)")
]
OwnLanguageQuery = Annotated[
    Language | None,
    Query(alias="lang", description="vi or en; default: the participant's own language"),
]

ConferenceId = Annotated[
    str,
    Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$", examples=["conf-1"]),
]
ParticipantId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="a cooperative id, or a business's or bank's organisation id",
    ),
]


def file_response(download: Download) -> Response:
    return Response(
        download.content,
        media_type=download.media_type,
        headers={"Content-Disposition": f'attachment; filename="{download.filename}"'},
    )


FILE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The file",
        "content": {
            "text/csv": {},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            "text/calendar": {},
            "application/pdf": {},
        },
    }
}
