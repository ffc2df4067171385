"""The shared vocabulary, defined once on the ground floor: every package above reads it here.

* categories: the codes of the city's taxonomy (shared/TAXONOMY.md) that the classifier
  predicts and config maps to inboxes, with their Indonesian names and descriptions;
* platforms, and the states of a mention, a complaint (with its Indonesian labels), a
  notification and a source (with its Indonesian descriptions);
* roles of the people who sign in.

Denpasar's time zone lives beside it, in ``models.wita``.
"""

from dataclasses import dataclass
from enum import StrEnum

CATEGORIES: tuple[str, ...] = (
    "PDAM",
    "LPJU",
    "DLHK",
    "PUPR",
    "DISHUB",
    "SATPOLPP",
    "DISDUKCAPIL",
    "DINKES",
    "DISDIK",
    "PLN",
    "DINSOS",
    "BPBD_DAMKAR",
    "PERIZINAN",
    "OTHER",
    "NOT_COMPLAINT",
)

NOT_COMPLAINT = "NOT_COMPLAINT"


@dataclass(frozen=True)
class CategoryInfo:
    """How a category is called and explained in Indonesian (pages, APIs, Open311)."""

    name: str
    description: str
    #: a broader group of services (Open311 ``group``)
    group: str
    #: comma-separated keywords (Open311 ``keywords``)
    keywords: str


CATEGORY_INFO: dict[str, CategoryInfo] = {
    "PDAM": CategoryInfo(
        name="Air minum",
        description="Air PDAM mati, kecil, keruh atau berbau; pipa bocor; meteran dan tagihan.",
        group="Utilitas",
        keywords="air,pdam,pipa bocor,keruh,meteran",
    ),
    "LPJU": CategoryInfo(
        name="Penerangan jalan umum",
        description="Lampu jalan mati, berkedip atau menyala siang; tiang rusak.",
        group="Infrastruktur",
        keywords="lampu jalan,pju,lpju,tiang lampu",
    ),
    "DLHK": CategoryInfo(
        name="Kebersihan dan lingkungan",
        description=(
            "Sampah tidak diangkut, TPS penuh, buang atau bakar sampah liar, sungai dan "
            "pantai kotor, taman, pemangkasan pohon."
        ),
        group="Lingkungan",
        keywords="sampah,tps,kebersihan,sungai,pohon",
    ),
    "PUPR": CategoryInfo(
        name="Jalan dan drainase",
        description=(
            "Jalan rusak atau berlubang, trotoar, got tersumbat, banjir karena saluran, jembatan."
        ),
        group="Infrastruktur",
        keywords="jalan rusak,lubang,got,drainase,banjir",
    ),
    "DISHUB": CategoryInfo(
        name="Perhubungan dan parkir",
        description=(
            "Parkir liar dan juru parkir, kemacetan, lampu lalu lintas, rambu, marka, bus kota."
        ),
        group="Transportasi",
        keywords="parkir,macet,lampu merah,rambu,bus",
    ),
    "SATPOLPP": CategoryInfo(
        name="Ketertiban umum",
        description="PKL di trotoar, pengemis, reklame dan bangunan liar, kebisingan.",
        group="Ketertiban",
        keywords="pkl,pengemis,reklame,bangunan liar,bising",
    ),
    "DISDUKCAPIL": CategoryInfo(
        name="Administrasi kependudukan",
        description="KTP-el, KK, akta kelahiran dan kematian, KIA, antrean.",
        group="Layanan publik",
        keywords="ktp,kk,akta,kia,disdukcapil",
    ),
    "DINKES": CategoryInfo(
        name="Kesehatan",
        description="Puskesmas, RSUD Wangaya, DBD dan fogging, layanan kesehatan kota.",
        group="Layanan publik",
        keywords="puskesmas,rsud,dbd,fogging",
    ),
    "DISDIK": CategoryInfo(
        name="Pendidikan",
        description="SD dan SMP, penerimaan murid baru, guru, biaya sekolah.",
        group="Layanan publik",
        keywords="sekolah,ppdb,spmb,guru",
    ),
    "PLN": CategoryInfo(
        name="Listrik",
        description="Pemadaman listrik, tegangan, tiang dan kabel PLN (diteruskan ke PLN).",
        group="Utilitas",
        keywords="listrik,mati lampu,pln,kabel",
    ),
    "DINSOS": CategoryInfo(
        name="Sosial",
        description="Bantuan sosial (bansos, PKH, KIS PBI), orang terlantar, ODGJ.",
        group="Sosial",
        keywords="bansos,pkh,kis,odgj",
    ),
    "BPBD_DAMKAR": CategoryInfo(
        name="Bencana dan kebakaran",
        description=(
            "Kebakaran, keadaan darurat, pohon tumbang menutup jalan, banjir perlu evakuasi."
        ),
        group="Darurat",
        keywords="kebakaran,pohon tumbang,banjir,darurat",
    ),
    "PERIZINAN": CategoryInfo(
        name="Perizinan",
        description="Izin usaha (NIB), persetujuan bangunan gedung (PBG), layanan perizinan.",
        group="Layanan publik",
        keywords="izin,nib,pbg",
    ),
    "OTHER": CategoryInfo(
        name="Lainnya",
        description=(
            "Pengaduan kepada Pemerintah Kota di luar kategori lain (perilaku ASN, pungli, situs)."
        ),
        group="Lainnya",
        keywords="pungli,asn",
    ),
    "NOT_COMPLAINT": CategoryInfo(
        name="Bukan pengaduan",
        description="Terima kasih, berita, promosi, spam, obrolan, pertanyaan informasi.",
        group="Lainnya",
        keywords="",
    ),
}


def category_info(code: str) -> CategoryInfo:
    """The Indonesian name and description of *code* (the code itself when unknown)."""
    return CATEGORY_INFO.get(code) or CategoryInfo(code, "", "Lainnya", "")


class Platform(StrEnum):
    """Where a mention was posted."""

    TWITTER = "twitter"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"


#: the platform names a mention may carry
PLATFORMS: tuple[str, ...] = tuple(p.value for p in Platform)


class MentionState(StrEnum):
    """How far a stored mention has come through routing."""

    PENDING = "pending"
    NOT_COMPLAINT = "not_complaint"
    TRIAGE = "triage"
    FILED = "filed"


class ComplaintStatus(StrEnum):
    """Lifecycle of a complaint, in the city's own terms."""

    BARU = "baru"
    RESPON_AWAL = "respon_awal"
    DITINDAKLANJUTI = "ditindaklanjuti"
    SELESAI = "selesai"
    BUKAN_WEWENANG = "bukan_wewenang"


#: how pages, charts and reports name each status, in lifecycle order
STATUS_LABELS: dict[str, str] = {
    ComplaintStatus.BARU: "Baru",
    ComplaintStatus.RESPON_AWAL: "Respon awal",
    ComplaintStatus.DITINDAKLANJUTI: "Ditindaklanjuti",
    ComplaintStatus.SELESAI: "Selesai",
    ComplaintStatus.BUKAN_WEWENANG: "Bukan wewenang",
}


#: the history note of a complaint's first entry (older stores say "filed")
FILED_NOTE = "diajukan otomatis"


class OutboxStatus(StrEnum):
    """Delivery state of one notification."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


class OutboxRecipient(StrEnum):
    """Who an outbox row is for (``Outbox.recipient``)."""

    #: the inbox's own e-mail and webhook (held for its daily digest when it has one)
    INBOX = "inbox"
    #: the inbox's own e-mail and webhook, sent at once even on the digest (overdue digest)
    AGENCY = "agency"
    #: the inbox's escalation contacts (level 1), falling back to its own address
    ESCALATION = "escalation"
    #: the head of the agency (level 2), falling back to the escalation contacts
    HEAD = "head"
    #: the administrators (source alerts)
    ADMINS = "admins"
    #: a complaint's new petugas: e-mail to their own address (in the row's payload),
    #: webhook to their inbox's (``notify.assignee``)
    PETUGAS = "petugas"


class AlertCause(StrEnum):
    """Why a source alert was opened (``SourceAlert.cause``)."""

    DISABLED = "disabled"
    RATE_LIMITED = "rate_limited"
    FAILING = "failing"
    SILENT = "silent"
    READ_CAP_WARNING = "read_cap_80"
    READ_CAP_REACHED = "read_cap_100"


#: each alert cause in plain Indonesian, for alerts and the dashboard
ALERT_CAUSE_LABELS: dict[str, str] = {
    AlertCause.DISABLED: "sumber dimatikan: token/kredensial ditolak atau kedaluwarsa",
    AlertCause.RATE_LIMITED: "terus dijeda oleh platform (batas permintaan)",
    AlertCause.FAILING: "gagal berulang kali",
    AlertCause.SILENT: "tidak ada kiriman baru",
    AlertCause.READ_CAP_WARNING: "kuota baca bulanan hampir habis (80 %)",
    AlertCause.READ_CAP_REACHED: "kuota baca bulanan habis (100 %)",
}

#: escalation levels, as the history and notifications name them
ESCALATION_LEVEL_LABELS: dict[str, str] = {
    "1": "eskalasi tingkat 1 (kontak eskalasi instansi dan Kominfo)",
    "2": "eskalasi tingkat 2 (pimpinan instansi dan Kominfo)",
}


class SourceState(StrEnum):
    """How a source is doing, as its health record says (``harvester.runner`` sets it)."""

    IDLE = "idle"
    OK = "ok"
    FAILING = "failing"
    RATE_LIMITED = "rate_limited"
    BUDGET_EXHAUSTED = "budget_exhausted"
    DISABLED = "disabled"


#: each source state in plain Indonesian, for the dashboard's health panel
SOURCE_STATE_LABELS: dict[str, str] = {
    SourceState.OK: "berjalan normal",
    SourceState.IDLE: "belum berjalan",
    SourceState.FAILING: "gagal, dicoba lagi pada putaran berikutnya",
    SourceState.RATE_LIMITED: "dijeda oleh platform (batas permintaan)",
    SourceState.BUDGET_EXHAUSTED: "kuota baca bulan ini habis",
    SourceState.DISABLED: "dimatikan: token/kredensial ditolak",
}


class Role(StrEnum):
    """What a user may do; ``inbox.access.ROLE_PERMISSIONS`` holds the matrix."""

    ADMIN = "admin"
    OPERATOR = "operator"
    AGENCY = "agency"
    VIEWER = "viewer"


ROLES: tuple[str, ...] = tuple(r.value for r in Role)

#: how the admin pages name each role
ROLE_LABELS: dict[str, str] = {
    Role.ADMIN: "Admin Kominfo",
    Role.OPERATOR: "Operator Kominfo",
    Role.AGENCY: "Instansi",
    Role.VIEWER: "Pemantau (dasbor)",
}


class AccessAction(StrEnum):
    """What the access log records: reads of personal data and changes to who may read it."""

    VIEW_ORIGINAL = "complaint.view_original"
    API_ORIGINAL = "api.view_original"
    EXPORT_CSV = "export.csv"
    EXPORT_CLI = "export.cli"
    CONFIDENTIAL = "complaint.confidential"
    NOT_CONFIDENTIAL = "complaint.not_confidential"
    USER_CREATE = "user.create"
    USER_DISABLE = "user.disable"
    USER_ENABLE = "user.enable"
    USER_PASSWORD = "user.reset_password"  # noqa: S105 (an action name)
    USER_EMAIL = "user.email"
    TOKEN_ISSUE = "token.issue"  # noqa: S105 (an action name)
    TOKEN_REVOKE = "token.revoke"  # noqa: S105 (an action name)
    CONFIG_CHANGED = "config.changed"
    PRIVACY_EXPORT = "privacy.export"
    PRIVACY_ERASE = "privacy.erase"
    RETENTION = "retention.run"
    ACCESS_LOG_EXPORT = "access_log.export"


#: each access-log action in Indonesian, for the admin's access-log page
ACCESS_ACTION_LABELS: dict[str, str] = {
    AccessAction.VIEW_ORIGINAL: "Melihat teks asli pengaduan",
    AccessAction.API_ORIGINAL: "Membaca teks asli lewat API",
    AccessAction.EXPORT_CSV: "Mengunduh CSV inbox",
    AccessAction.EXPORT_CLI: "Ekspor pengaduan (aduan export)",
    AccessAction.CONFIDENTIAL: "Menandai pengaduan rahasia",
    AccessAction.NOT_CONFIDENTIAL: "Mencabut tanda rahasia",
    AccessAction.USER_CREATE: "Membuat akun",
    AccessAction.USER_DISABLE: "Menonaktifkan akun",
    AccessAction.USER_ENABLE: "Mengaktifkan akun",
    AccessAction.USER_PASSWORD: "Mengganti kata sandi akun",
    AccessAction.USER_EMAIL: "Mengubah alamat e-mail akun",
    AccessAction.TOKEN_ISSUE: "Membuat token API",
    AccessAction.TOKEN_REVOKE: "Mencabut token API",
    AccessAction.CONFIG_CHANGED: "Konfigurasi berubah",
    AccessAction.PRIVACY_EXPORT: "Permintaan akses data pribadi (ekspor)",
    AccessAction.PRIVACY_ERASE: "Penghapusan data pribadi",
    AccessAction.RETENTION: "Penghapusan sesuai masa simpan",
    AccessAction.ACCESS_LOG_EXPORT: "Mengunduh log akses",
}
#: how pages name each platform
PLATFORM_LABELS: dict[str, str] = {
    Platform.TWITTER: "X (Twitter)",
    Platform.FACEBOOK: "Facebook",
    Platform.INSTAGRAM: "Instagram",
    # a source's platform (its mentions are "instagram"): the official Graph API
    "instagram_graph": "Instagram (Graph API)",
}
#: how pages name each routing state of a mention
MENTION_STATE_LABELS: dict[str, str] = {
    MentionState.PENDING: "menunggu klasifikasi",
    MentionState.NOT_COMPLAINT: "bukan pengaduan",
    MentionState.TRIAGE: "triase",
    MentionState.FILED: "diajukan",
}
#: why a mention is part of a complaint (``ComplaintMention.reason``)
LINK_REASON_LABELS: dict[str, str] = {
    "origin": "laporan awal",
    "reply": "balasan dalam percakapan",
    "duplicate": "laporan serupa",
    "manual": "digabung oleh petugas",
}
#: the step whose deadline a complaint missed, as badges name it
OVERDUE_LABELS: dict[str, str] = {
    ComplaintStatus.RESPON_AWAL: "Terlambat respon awal",
    ComplaintStatus.DITINDAKLANJUTI: "Terlambat tindak lanjut",
}
#: the steps themselves, in running text ("langkah terlewat: respon awal")
STEP_LABELS: dict[str, str] = {
    ComplaintStatus.RESPON_AWAL: "respon awal",
    ComplaintStatus.DITINDAKLANJUTI: "tindak lanjut lapangan",
}
#: how an inbox list can be ordered (``models.complaint_search.Sort``)
SORT_LABELS: dict[str, str] = {
    "newest": "Terbaru",
    "oldest": "Terlama",
    "deadline": "Tenggat terdekat",
    "reporters": "Pelapor terbanyak",
}
#: notification channels
CHANNEL_LABELS: dict[str, str] = {"email": "e-mail", "webhook": "webhook", "reply": "balasan warga"}


class ReplyEvent(StrEnum):
    """What a reply to a citizen announces."""

    DITERIMA = "diterima"
    RESPON_AWAL = "respon_awal"
    DITINDAKLANJUTI = "ditindaklanjuti"
    SELESAI = "selesai"
    #: refused by one agency and given to the right one by triage
    BUKAN_WEWENANG = "bukan_wewenang"


REPLY_EVENT_LABELS: dict[str, str] = {
    ReplyEvent.DITERIMA: "Tanda terima",
    ReplyEvent.RESPON_AWAL: "Respon awal",
    ReplyEvent.DITINDAKLANJUTI: "Ditindaklanjuti",
    ReplyEvent.SELESAI: "Selesai",
    ReplyEvent.BUKAN_WEWENANG: "Dialihkan ke instansi lain",
}


class ReplyStatus(StrEnum):
    """Where a reply to a citizen stands."""

    #: waiting for the Kominfo team (review mode)
    DRAFT = "draft"
    #: approved or automatic: in the outbox
    QUEUED = "queued"
    SENT = "sent"
    #: not sent, and why (own post, deleted, hidden, channel off, refused by the platform)
    SKIPPED = "skipped"
    BLOCKED = "blocked"
    DISCARDED = "discarded"
    #: the platform has no reply API for this source: the team answers by hand
    MANUAL = "manual"


REPLY_STATUS_LABELS: dict[str, str] = {
    ReplyStatus.DRAFT: "menunggu persetujuan",
    ReplyStatus.QUEUED: "dalam antrean kirim",
    ReplyStatus.SENT: "terkirim",
    ReplyStatus.SKIPPED: "tidak dikirim",
    ReplyStatus.BLOCKED: "diblokir",
    ReplyStatus.DISCARDED: "dibuang",
    ReplyStatus.MANUAL: "balas manual",
}


class HistoryKind(StrEnum):
    """What a row of a complaint's history records.

    Only ``status`` rows are status changes: response times, reopenings, the latest
    status note (Open311, /lacak) and refusals read those alone. A ``balasan`` row
    records what became of a reply to a citizen (approved, discarded, sent, to write by
    hand, blocked); its from and to status are both the complaint's status at the time.
    """

    STATUS = "status"
    BALASAN = "balasan"


HISTORY_KIND_LABELS: dict[str, str] = {
    HistoryKind.STATUS: "Perubahan status",
    HistoryKind.BALASAN: "Balasan ke warga",
}


class ReplyChannel(StrEnum):
    """How a source's replies are posted."""

    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM_GRAPH = "instagram_graph"
    #: instaloader sources: no posting API; a person replies by hand
    MANUAL = "manual"
    #: the demo/replay sink: a JSON-lines log instead of a platform
    LOG = "log"


REPLY_CHANNEL_LABELS: dict[str, str] = {
    ReplyChannel.X: "X",
    ReplyChannel.FACEBOOK: "Facebook",
    ReplyChannel.INSTAGRAM_GRAPH: "Instagram (Graph API)",
    ReplyChannel.MANUAL: "manual",
    ReplyChannel.LOG: "log balasan (demo)",
}
#: history notes written by older versions in English, as pages show them
HISTORY_NOTE_LABELS: dict[str, str] = {"filed": FILED_NOTE}

#: what the retention job removes, per kind (CLI and README)
RETENTION_KIND_LABELS: dict[str, str] = {
    "raw_payload": "data mentah platform",
    "not_complaint": "teks dan identitas penulis kiriman bukan pengaduan",
    "closed_author": "identitas penulis pengaduan yang sudah selesai",
    "access_log": "entri log akses",
}

#: the one label table every page reads: kind -> code -> Indonesian label
LABELS: dict[str, dict[str, str]] = {
    "status": STATUS_LABELS,
    "category": {code: info.name for code, info in CATEGORY_INFO.items()},
    "platform": PLATFORM_LABELS,
    "role": ROLE_LABELS,
    "source_state": SOURCE_STATE_LABELS,
    "mention_state": MENTION_STATE_LABELS,
    "link_reason": LINK_REASON_LABELS,
    "overdue": OVERDUE_LABELS,
    "step": STEP_LABELS,
    "channel": CHANNEL_LABELS,
    "sort": SORT_LABELS,
    "history_note": HISTORY_NOTE_LABELS,
    "history_kind": HISTORY_KIND_LABELS,
    "access_action": ACCESS_ACTION_LABELS,
    "retention_kind": RETENTION_KIND_LABELS,
    "alert_cause": ALERT_CAUSE_LABELS,
    "escalation_level": ESCALATION_LEVEL_LABELS,
    "reply_event": REPLY_EVENT_LABELS,
    "reply_status": REPLY_STATUS_LABELS,
    "reply_channel": REPLY_CHANNEL_LABELS,
}


def label(kind: str, code: str | None) -> str:
    """The Indonesian label of *code* in the table *kind*; the code itself when unknown."""
    if code is None:
        return "-"
    return LABELS[kind].get(code, code)


class StoreProblem(StrEnum):
    """Why the tracking store refused a read or write (``models.store_health`` decides)."""

    #: cannot connect, connection lost, server shutting down
    UNAVAILABLE = "unavailable"
    #: no space left for the database or its journal
    DISK_FULL = "disk_full"
    #: the database file, its folder or the server only allow reading
    READ_ONLY = "read_only"
    #: a value or record the store refuses (constraint, type, encoding)
    DATA_ERROR = "data_error"
    #: another writer held the store longer than the wait allows
    BUSY = "busy"
    #: any other store error
    OTHER = "error"


class JobOutcome(StrEnum):
    """How a scheduled daemon job's last run ended (``aduan.daemon`` records it)."""

    NOT_RUN = "not_run"
    OK = "ok"
    FAILED = "failed"
