"""The words of the outputs in Vietnamese and English: one catalogue, looked up by key."""

from __future__ import annotations

from services.conferences.domain.capacity import NotPlacedReason, ShortfallReason
from services.conferences.domain.model import (
    CapacityReport,
    FairnessReport,
    Language,
    ParticipantKind,
)

CATALOGUE: dict[str, dict[Language, str]] = {
    "grid_title": {Language.VI: "Lịch gặp theo bàn", Language.EN: "Meeting grid"},
    "agendas_title": {Language.VI: "Lịch làm việc", Language.EN: "Agendas"},
    "agenda_of": {Language.VI: "Lịch làm việc của {name}", Language.EN: "Agenda of {name}"},
    "participant": {Language.VI: "Đơn vị", Language.EN: "Participant"},
    "slot": {Language.VI: "Khung giờ", Language.EN: "Time slot"},
    "start": {Language.VI: "Bắt đầu", Language.EN: "Start"},
    "end": {Language.VI: "Kết thúc", Language.EN: "End"},
    "table": {Language.VI: "Bàn", Language.EN: "Table"},
    "table_n": {Language.VI: "Bàn {n}", Language.EN: "Table {n}"},
    "break": {Language.VI: "Nghỉ giải lao", Language.EN: "Break"},
    "meets": {Language.VI: "Gặp", Language.EN: "Meeting with"},
    "kind": {Language.VI: "Loại", Language.EN: "Kind"},
    "why": {Language.VI: "Lý do ghép cặp", Language.EN: "Why you were paired"},
    "no_meetings": {
        Language.VI: "Chưa có cuộc gặp nào được xếp.",
        Language.EN: "No meetings are scheduled.",
    },
    "date": {Language.VI: "Ngày", Language.EN: "Date"},
    "venue": {Language.VI: "Địa điểm", Language.EN: "Venue"},
    "revision": {Language.VI: "Phiên bản lịch {n}", Language.EN: "Schedule revision {n}"},
    "event_summary": {
        Language.VI: "Gặp {name} — bàn {table}",
        Language.EN: "Meeting with {name} — table {table}",
    },
    "event_location": {Language.VI: "{venue}, bàn {table}", Language.EN: "{venue}, table {table}"},
    "kind_cooperative": {Language.VI: "Hợp tác xã", Language.EN: "Cooperative"},
    "kind_business": {Language.VI: "Doanh nghiệp", Language.EN: "Business"},
    "kind_bank": {Language.VI: "Ngân hàng", Language.EN: "Bank"},
    # capacity
    "capacity_fits": {
        Language.VI: "Đã xếp đủ {placed} cuộc gặp; mọi cặp đề xuất đều có chỗ.",
        Language.EN: "All {placed} meetings are placed; every proposed pair fits.",
    },
    "capacity_exceeded": {
        Language.VI: (
            "Nhu cầu vượt khả năng: đã xếp {placed} trong {candidates} cặp đề xuất "
            "({table_slots} lượt bàn); {not_placed} cặp không xếp được:"
        ),
        Language.EN: (
            "Demand exceeds capacity: {placed} of {candidates} proposed pairs placed "
            "({table_slots} table-slots); {not_placed} could not be placed:"
        ),
    },
    "requested_not_placed": {
        Language.VI: "Trong đó {count} cuộc gặp được yêu cầu không xếp được.",
        Language.EN: "Of these, {count} requested meetings could not be placed.",
    },
    NotPlacedReason.NO_COMMON_SLOT: {
        Language.VI: "{count} cặp không có khung giờ nào cả hai cùng có mặt",
        Language.EN: "{count} have no slot both can attend",
    },
    NotPlacedReason.PARTICIPANT_MAXIMUM: {
        Language.VI: "{count} cặp vì một bên đã đủ số cuộc gặp tối đa",
        Language.EN: "{count} because one side reached their maximum of meetings",
    },
    NotPlacedReason.TABLES_FULL: {
        Language.VI: "{count} cặp vì hết bàn trong các khung giờ cả hai cùng rảnh",
        Language.EN: "{count} because every table was taken whenever both were free",
    },
    NotPlacedReason.SCHEDULES_CLASH: {
        Language.VI: "{count} cặp vì lịch hai bên không còn trùng khung giờ trống",
        Language.EN: "{count} because the two were never free at the same time",
    },
    NotPlacedReason.LEFT_OUT: {
        Language.VI: "{count} cặp còn chỗ nhưng không được chọn (giới hạn thời gian giải)",
        Language.EN: "{count} would fit but were left out (solver time limit)",
    },
    # fairness
    "fairness_met": {
        Language.VI: "Mọi hợp tác xã có cặp đề xuất đều có ít nhất {floor} cuộc gặp.",
        Language.EN: "Every cooperative with a match has at least {floor} meeting(s).",
    },
    "fairness_short": {
        Language.VI: "{count} hợp tác xã có ít hơn {floor} cuộc gặp:",
        Language.EN: "{count} cooperative(s) have fewer than {floor} meeting(s):",
    },
    ShortfallReason.MAXIMUM_BELOW_FLOOR: {
        Language.VI: "{count} tự giới hạn số cuộc gặp thấp hơn",
        Language.EN: "{count} accept fewer meetings than that",
    },
    ShortfallReason.FEW_MATCHES: {
        Language.VI: "{count} có quá ít đối tác phù hợp",
        Language.EN: "{count} have too few counterparts to meet",
    },
    ShortfallReason.FEW_SLOTS: {
        Language.VI: "{count} có mặt trong quá ít khung giờ",
        Language.EN: "{count} are present in too few slots",
    },
    ShortfallReason.CONTENTION: {
        Language.VI: "{count} vì bàn và thời gian của đối tác đã dành cho đơn vị khác",
        Language.EN: "{count} because tables and counterparts' time went to others",
    },
    ShortfallReason.TRADED_FOR_SCORE: {
        Language.VI: "{count} vì mức ưu tiên công bằng (mềm) thấp hơn lợi ích ghép cặp",
        Language.EN: "{count} because the (soft) floor was outweighed by better pairs",
    },
}


def text(key: str, language: Language, **values: object) -> str:
    return CATALOGUE[key][language].format(**values)


def kind_label(kind: ParticipantKind, language: Language) -> str:
    return text(f"kind_{kind.value}", language)


def capacity_message(report: CapacityReport, language: Language) -> str:
    """One paragraph for organisers: whether everything fitted, and if not, why not."""
    if not report.demand_exceeds_capacity:
        return text("capacity_fits", language, placed=report.placed)
    parts = [
        text(reason, language, count=count)
        for reason, count in sorted(report.not_placed_by_reason.items(), key=lambda kv: -kv[1])
    ]
    message = (
        text(
            "capacity_exceeded",
            language,
            placed=report.placed,
            candidates=report.candidate_meetings,
            table_slots=report.table_slots,
            not_placed=report.not_placed,
        )
        + " "
        + "; ".join(parts)
        + "."
    )
    if report.requested_not_placed:
        message += " " + text(
            "requested_not_placed", language, count=len(report.requested_not_placed)
        )
    return message


def fairness_message(report: FairnessReport, language: Language) -> str:
    if report.met:
        return text("fairness_met", language, floor=report.floor)
    counts: dict[str, int] = {}
    for shortfall in report.shortfalls:
        counts[shortfall.reason] = counts.get(shortfall.reason, 0) + 1
    parts = [text(reason, language, count=count) for reason, count in counts.items()]
    return (
        text("fairness_short", language, count=len(report.shortfalls), floor=report.floor)
        + " "
        + "; ".join(parts)
        + "."
    )
