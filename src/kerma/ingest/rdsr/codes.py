"""Every concept code the RDSR parser reads, as named constants.

Each constant is a frozenset of ``(coding scheme designator, code value)`` pairs: one pair for a DICOM
(``DCM``) concept, two or more where a legacy SNOMED-RT (``SRT``) code and its SNOMED CT (``SCT``)
replacement both occur in real files. Items are matched on these pairs, never on the code meaning,
because meanings change between editions and vendors spell them differently. The tree reader maps the
scheme ``SNM3`` (older SNOMED-RT spelling) to ``SRT`` before matching.

Sources: DICOM PS3.16 (templates TID 10001-10024, their context groups, Table D-1 for DCM codes) and the
SRT-to-SCT map shipped with pydicom (``pydicom.sr._snomed_dict``).
"""

from __future__ import annotations

from typing import Final

Concept = tuple[str, str]
"""A concept as ``(coding scheme designator, code value)``."""

Codes = frozenset[Concept]
"""The codes that stand for one concept (legacy and current)."""


def dcm(value: str) -> Codes:
    """A concept of the DICOM (DCM) scheme."""
    return frozenset({("DCM", value)})


def snomed(srt: str | None, *sct: str) -> Codes:
    """A SNOMED concept: its legacy SNOMED-RT code (if any) and its SNOMED CT code(s)."""
    pairs = {("SCT", v) for v in sct}
    if srt:
        pairs.add(("SRT", srt))
    return frozenset(pairs)


# ---------------------------------------------------------------------------------------------------
# Document roots and SOP classes
# ---------------------------------------------------------------------------------------------------
XRAY_DOSE_REPORT: Final = dcm("113701")
"""X-Ray Radiation Dose Report: root of TID 10001 (projection) and TID 10011 (CT)."""
RADIOPHARMACEUTICAL_DOSE_REPORT: Final = dcm("113500")
"""Radiopharmaceutical Radiation Dose Report: root of TID 10021."""
SIEMENS_RADIATION_SUMMARY: Final = frozenset({("99SMS_RADSUM", "C-10")})
"""Private Siemens 'Radiation Summary Report' (mobile C-arms, Enhanced SR): totals only, no events."""

SOP_XRAY_DOSE_SR: Final = "1.2.840.10008.5.1.4.1.1.88.67"
"""X-Ray Radiation Dose SR Storage."""
SOP_RADIOPHARMACEUTICAL_DOSE_SR: Final = "1.2.840.10008.5.1.4.1.1.88.68"
"""Radiopharmaceutical Radiation Dose SR Storage."""
SOP_ENHANCED_XRAY_DOSE_SR: Final = "1.2.840.10008.5.1.4.1.1.88.76"
"""Enhanced X-Ray Radiation Dose SR Storage (read when it carries the classic TID 10001/10011 tree)."""
SOP_PATIENT_DOSE_SR: Final = "1.2.840.10008.5.1.4.1.1.88.73"
"""Patient Radiation Dose SR Storage (TID 10030 estimates made by other software; not read)."""
SOP_GENERIC_SR: Final = frozenset(
    {
        "1.2.840.10008.5.1.4.1.1.88.22",  # Enhanced SR
        "1.2.840.10008.5.1.4.1.1.88.33",  # Comprehensive SR
        "1.2.840.10008.5.1.4.1.1.88.34",  # Comprehensive 3D SR
    }
)
"""General-purpose SR classes some older systems used to carry a dose tree."""

# ---------------------------------------------------------------------------------------------------
# Context shared by the X-ray dose templates (TID 10001 / 10011, TID 1002 observer, TID 1021 device)
# ---------------------------------------------------------------------------------------------------
PROCEDURE_REPORTED: Final = dcm("121058")
"""Procedure reported (CODE): CT, projection X-ray, mammography..."""
HAS_INTENT: Final = snomed("G-C0E8", "363703001")
"""Has Intent (modifier of Procedure reported)."""
ACQUISITION_DEVICE_TYPE: Final = dcm("122142")
"""Acquisition Device Type (CID 10032)."""
OBSERVER_TYPE: Final = dcm("121005")
"""Observer Type (person or device)."""
DEVICE_OBSERVER_UID: Final = dcm("121012")
"""Device Observer UID: the modality's identity (some vendors send it as TEXT)."""
DEVICE_OBSERVER_NAME: Final = dcm("121013")
"""Device Observer Name."""
DEVICE_OBSERVER_MANUFACTURER: Final = dcm("121014")
"""Device Observer Manufacturer."""
DEVICE_OBSERVER_MODEL: Final = dcm("121015")
"""Device Observer Model Name."""
DEVICE_OBSERVER_SERIAL: Final = dcm("121016")
"""Device Observer Serial Number."""
DEVICE_OBSERVER_LOCATION: Final = dcm("121017")
"""Device Observer Physical Location During Observation."""
STATION_AE_TITLE: Final = dcm("110119")
"""Station AE Title."""
DEVICE_ROLE_IN_PROCEDURE: Final = dcm("113876")
"""Device Role in Procedure (TID 1021 Device Participant), e.g. Irradiating Device."""
DEVICE_NAME: Final = dcm("113877")
"""Device Name (Device Participant)."""
DEVICE_MANUFACTURER: Final = dcm("113878")
"""Device Manufacturer (Device Participant)."""
DEVICE_MODEL: Final = dcm("113879")
"""Device Model Name (Device Participant)."""
DEVICE_SERIAL: Final = dcm("113880")
"""Device Serial Number (Device Participant)."""
START_OF_XRAY_IRRADIATION: Final = dcm("113809")
"""Start of X-Ray Irradiation (first event of the accumulation)."""
END_OF_XRAY_IRRADIATION: Final = dcm("113810")
"""End of X-Ray Irradiation (last event of the accumulation)."""
SCOPE_OF_ACCUMULATION: Final = dcm("113705")
"""Scope of Accumulation (CID 10000), with the scope's UID as child (or, in some files, sibling)."""
STUDY_INSTANCE_UID: Final = dcm("110180")
"""Study Instance UID (scope UID)."""
SOURCE_OF_DOSE_INFORMATION: Final = dcm("113854")
"""Source of Dose Information (CID 10020 / 10021)."""
COMMENT: Final = dcm("121106")
"""Comment."""
PATIENT_CHARACTERISTICS: Final = dcm("121118")
"""Patient Characteristics container (TID 10024, also seen at the root of other reports)."""
SUBJECT_AGE: Final = dcm("121033")
"""Subject Age (NUM, unit 'a', 'mo', 'wk' or 'd')."""
SUBJECT_SEX: Final = dcm("121032")
"""Subject Sex (CODE, CID 7455)."""
PATIENT_HEIGHT: Final = frozenset({("LN", "8302-2")})
"""Patient Height (LOINC)."""
PATIENT_WEIGHT: Final = frozenset({("LN", "29463-7")})
"""Patient Weight (LOINC)."""
IRRADIATION_EVENT_UID: Final = dcm("113769")
"""Irradiation Event UID: an event's identity across objects."""
IRRADIATION_EVENT_LABEL: Final = dcm("113605")
"""Irradiation Event Label."""
DATETIME_STARTED: Final = dcm("111526")
"""DateTime Started of an event."""
ACQUISITION_PROTOCOL: Final = dcm("125203")
"""Acquisition Protocol (TEXT)."""
TARGET_REGION: Final = dcm("123014")
"""Target Region (CODE, anatomy)."""
ANATOMICAL_STRUCTURE: Final = snomed("T-D0005", "91723000")
"""Anatomical structure (written beside Target Region by mammography and DX systems)."""
LATERALITY: Final = snomed("G-C171", "272741003")
"""Laterality (modifier)."""
FINDING_SITE: Final = snomed("G-C0E3", "363698007")
"""Finding Site (organ of an organ dose)."""
EFFECTIVE_DOSE: Final = dcm("113839")
"""Effective Dose (mSv)."""
REFERENCE_AUTHORITY: Final = dcm("121406")
"""Reference Authority (of an effective or organ dose)."""

# Values of the context items above
PROCEDURE_CT: Final = snomed("P5-08000", "77477000")
"""Computed Tomography X-Ray (procedure reported)."""
PROCEDURE_MAMMOGRAPHY: Final = snomed("P5-40010", "71651007")
"""Mammography (procedure reported)."""
PROCEDURE_PROJECTION: Final = dcm("113704")
"""Projection X-Ray (procedure reported)."""
PROCEDURE_FLUOROSCOPY: Final = snomed("P5-06000", "44491008")
"""Fluoroscopy as procedure reported (CID 10005); the same codes are the fluoroscopy event type."""
PROCEDURE_FLUORO_AND_RADIOGRAPHY: Final = snomed(None, "169014003")
"""Fluoroscopy and radiography (procedure reported, CID 10005)."""
PROCEDURE_PLAIN_RADIOGRAPHY: Final = snomed(None, "168537006")
"""Plain radiography (procedure reported, CID 10005)."""
PROCEDURE_CONE_BEAM_CT: Final = snomed(None, "717193008")
"""Cone beam CT (procedure reported, CID 10005)."""
DEVICE_FLUOROSCOPY_GUIDED: Final = dcm("113957")
"""Fluoroscopy-Guided Projection Radiography System."""
DEVICE_INTEGRATED_PROJECTION: Final = dcm("113958")
"""Integrated Projection Radiography System."""
DEVICE_CASSETTE_BASED: Final = dcm("113959")
"""Cassette-based Projection Radiography System."""
IRRADIATING_DEVICE: Final = dcm("113859")
"""Irradiating Device (device role)."""

SCOPES: Final[dict[Concept, str]] = {
    ("DCM", "113014"): "study",
    ("DCM", "113015"): "series",
    ("DCM", "113016"): "performed_procedure_step",
    ("DCM", "113970"): "procedure_step_to_this_point",
    ("DCM", "113852"): "irradiation_event",
}
"""CID 10000 Scope of Accumulation, as stored."""

SOURCES_OF_DOSE_INFORMATION: Final[dict[Concept, str]] = {
    ("DCM", "113856"): "automated_data_collection",
    ("DCM", "113857"): "manual_entry",
    ("DCM", "113858"): "mpps_content",
    ("DCM", "113866"): "copied_from_image_attributes",
    ("DCM", "113867"): "computed_from_image_attributes",
    ("DCM", "113868"): "derived_from_human_readable_reports",
    ("DCM", "113940"): "system_calculated",
    ("SRT", "A-2C090"): "dosimeter",
    ("SCT", "15869005"): "dosimeter",
}
"""CID 10020 / 10021 Source of Dose Information, as stored."""

SEXES: Final[dict[Concept, str]] = {
    ("DCM", "M"): "M",
    ("DCM", "F"): "F",
    ("DCM", "O"): "O",
    ("SCT", "248153007"): "M",
    ("SCT", "248152002"): "F",
}
"""CID 7455 Sex (DCM M/F/O, and the SNOMED CT male/female codes)."""

LATERALITIES: Final[dict[Concept, str]] = {
    ("SRT", "G-A101"): "L",
    ("SCT", "7771000"): "L",
    ("SRT", "G-A100"): "R",
    ("SCT", "24028007"): "R",
    ("SRT", "G-A102"): "B",
    ("SCT", "51440002"): "B",
    ("SRT", "T-04030"): "L",  # Left breast (used as a laterality value by mammography systems)
    ("SCT", "80248007"): "L",
    ("SRT", "T-04020"): "R",  # Right breast
    ("SCT", "73056007"): "R",
}
"""Laterality values, stored as DICOM Image Laterality letters: L, R, B (both)."""

# ---------------------------------------------------------------------------------------------------
# CT: TID 10011 root, TID 10012 accumulated, TID 10013 event, TID 10014 length, TID 10015 dose check
# ---------------------------------------------------------------------------------------------------
CT_ACCUMULATED_DOSE_DATA: Final = dcm("113811")
"""CT Accumulated Dose Data container (TID 10012)."""
TOTAL_NUMBER_OF_IRRADIATION_EVENTS: Final = dcm("113812")
"""Total Number of Irradiation Events."""
CT_DLP_TOTAL: Final = dcm("113813")
"""CT Dose Length Product Total (mGy.cm)."""
CT_EFFECTIVE_DOSE_TOTAL: Final = dcm("113814")
"""CT Effective Dose Total (mSv)."""
CT_ACQUISITION: Final = dcm("113819")
"""CT Acquisition container: one irradiation event (TID 10013)."""
CT_ACQUISITION_TYPE: Final = dcm("113820")
"""CT Acquisition Type (CID 10013)."""
CT_ACQUISITION_PARAMETERS: Final = dcm("113822")
"""CT Acquisition Parameters container."""
EXPOSURE_TIME: Final = dcm("113824")
"""Exposure Time: seconds in CT (TID 10013), milliseconds in projection (TID 10003B); read by unit."""
SCANNING_LENGTH: Final = dcm("113825")
"""Scanning Length (TID 10014)."""
EXPOSED_RANGE: Final = dcm("113899")
"""Exposed Range (TID 10014)."""
NOMINAL_SINGLE_COLLIMATION: Final = dcm("113826")
"""Nominal Single Collimation Width."""
NOMINAL_TOTAL_COLLIMATION: Final = dcm("113827")
"""Nominal Total Collimation Width."""
PITCH_FACTOR: Final = dcm("113828")
"""Pitch Factor."""
NUMBER_OF_XRAY_SOURCES: Final = dcm("113823")
"""Number of X-Ray Sources."""
CT_SOURCE_PARAMETERS: Final = dcm("113831")
"""CT X-Ray Source Parameters container (one per source)."""
SOURCE_IDENTIFICATION: Final = dcm("113832")
"""Identification of the X-Ray Source."""
MAX_TUBE_CURRENT: Final = dcm("113833")
"""Maximum X-Ray Tube Current."""
EXPOSURE_TIME_PER_ROTATION: Final = dcm("113834")
"""Exposure Time per Rotation."""
CT_DOSE: Final = dcm("113829")
"""CT Dose container."""
MEAN_CTDIVOL: Final = dcm("113830")
"""Mean CTDIvol (mGy)."""
CTDIW_PHANTOM_TYPE: Final = dcm("113835")
"""CTDIw Phantom Type (CID 4052 / 4053)."""
DLP: Final = dcm("113838")
"""DLP of one CT acquisition (mGy.cm)."""
SSDE: Final = dcm("113930")
"""Size Specific Dose Estimate (mGy)."""
WATER_EQUIVALENT_DIAMETER: Final = dcm("113980")
"""Water Equivalent Diameter (DCM 113980; 113987 is the AAPM 220 reference, not the diameter)."""
XRAY_MODULATION_TYPE: Final = dcm("113842")
"""X-Ray Modulation Type (TEXT)."""
DOSE_CHECK_ALERT_DETAILS: Final = dcm("113900")
"""Dose Check Alert Details container (TID 10015)."""
DOSE_CHECK_NOTIFICATION_DETAILS: Final = dcm("113908")
"""Dose Check Notification Details container (TID 10015)."""
DLP_ALERT_VALUE_CONFIGURED: Final = dcm("113901")
"""DLP Alert Value Configured (Yes/No)."""
CTDIVOL_ALERT_VALUE_CONFIGURED: Final = dcm("113902")
"""CTDIvol Alert Value Configured (Yes/No)."""
DLP_ALERT_VALUE: Final = dcm("113903")
"""DLP Alert Value (mGy.cm)."""
CTDIVOL_ALERT_VALUE: Final = dcm("113904")
"""CTDIvol Alert Value (mGy)."""
ACCUMULATED_DLP_FORWARD_ESTIMATE: Final = dcm("113905")
"""Accumulated DLP Forward Estimate (present when the alert value is exceeded)."""
ACCUMULATED_CTDIVOL_FORWARD_ESTIMATE: Final = dcm("113906")
"""Accumulated CTDIvol Forward Estimate (present when the alert value is exceeded)."""
REASON_FOR_PROCEEDING: Final = dcm("113907")
"""Reason for Proceeding (TEXT) after an alert or notification."""
DLP_NOTIFICATION_VALUE_CONFIGURED: Final = dcm("113909")
"""DLP Notification Value Configured (Yes/No)."""
CTDIVOL_NOTIFICATION_VALUE_CONFIGURED: Final = dcm("113910")
"""CTDIvol Notification Value Configured (Yes/No)."""
DLP_NOTIFICATION_VALUE: Final = dcm("113911")
"""DLP Notification Value (mGy.cm)."""
CTDIVOL_NOTIFICATION_VALUE: Final = dcm("113912")
"""CTDIvol Notification Value (mGy)."""
DLP_FORWARD_ESTIMATE: Final = dcm("113913")
"""DLP Forward Estimate (present when the notification value is exceeded)."""
CTDIVOL_FORWARD_ESTIMATE: Final = dcm("113914")
"""CTDIvol Forward Estimate (present when the notification value is exceeded)."""
YES: Final = snomed("R-0038D", "373066001")
"""Yes (CID 230)."""
NO: Final = snomed("R-00339", "373067005")
"""No (CID 230)."""

CT_ACQUISITION_TYPES: Final[dict[Concept, str]] = {
    ("SRT", "P5-08001"): "spiral",
    ("SCT", "116152004"): "spiral",
    ("DCM", "113804"): "sequenced",
    ("DCM", "113805"): "constant_angle",
    ("DCM", "113806"): "stationary",
    ("DCM", "113807"): "free",
    ("SCT", "702569007"): "cone_beam",
}
"""CID 10013 CT Acquisition Type, as stored in ``event_type``."""

CTDI_PHANTOMS: Final[dict[Concept, str]] = {
    ("DCM", "113690"): "head16",
    ("DCM", "113691"): "body32",
    ("DCM", "130541"): "paed10",
}
"""CID 4052 / 4053 CTDI phantoms: IEC 160 mm head, IEC 320 mm body, 100 mm paediatric head."""

# ---------------------------------------------------------------------------------------------------
# Projection: TID 10001 root, TID 10002/10004/10005/10006/10007 accumulated, TID 10003 event
# ---------------------------------------------------------------------------------------------------
ACCUMULATED_XRAY_DOSE_DATA: Final = dcm("113702")
"""Accumulated X-Ray Dose Data container: one per acquisition plane (TID 10002)."""
IRRADIATION_EVENT_XRAY_DATA: Final = dcm("113706")
"""Irradiation Event X-Ray Data container: one event (TID 10003)."""
ACQUISITION_PLANE: Final = dcm("113764")
"""Acquisition Plane (CID 10003)."""
CALIBRATION: Final = dcm("122505")
"""Calibration container."""
CALIBRATION_FACTOR: Final = dcm("122322")
"""Calibration Factor."""
DAP_TOTAL: Final = dcm("113722")
"""Dose Area Product Total (Gy.m2)."""
DOSE_RP_TOTAL: Final = dcm("113725")
"""Dose (RP) Total (Gy)."""
FLUORO_DAP_TOTAL: Final = dcm("113726")
"""Fluoro Dose Area Product Total."""
ACQUISITION_DAP_TOTAL: Final = dcm("113727")
"""Acquisition Dose Area Product Total."""
FLUORO_DOSE_RP_TOTAL: Final = dcm("113728")
"""Fluoro Dose (RP) Total."""
ACQUISITION_DOSE_RP_TOTAL: Final = dcm("113729")
"""Acquisition Dose (RP) Total."""
TOTAL_FLUORO_TIME: Final = dcm("113730")
"""Total Fluoro Time."""
TOTAL_ACQUISITION_TIME: Final = dcm("113855")
"""Total Acquisition Time."""
TOTAL_NUMBER_OF_RADIOGRAPHIC_FRAMES: Final = dcm("113731")
"""Total Number of Radiographic Frames."""
ACCUMULATED_AGD: Final = dcm("111637")
"""Accumulated Average Glandular Dose, one per breast with a laterality modifier (TID 10005)."""
REFERENCE_POINT_DEFINITION: Final = dcm("113780")
"""Reference Point Definition (CODE of CID 10025, or TEXT)."""
IRRADIATION_EVENT_TYPE: Final = dcm("113721")
"""Irradiation Event Type (CID 10002)."""
IMAGE_VIEW: Final = dcm("111031")
"""Image View."""
PATIENT_ORIENTATION: Final = dcm("113743")
"""Patient Orientation."""
PATIENT_ORIENTATION_MODIFIER: Final = dcm("113744")
"""Patient Orientation Modifier."""
PATIENT_TABLE_RELATIONSHIP: Final = dcm("113745")
"""Patient Table Relationship."""
DAP: Final = dcm("122130")
"""Dose Area Product of one event (Gy.m2)."""
DOSE_RP: Final = dcm("113738")
"""Dose (RP): air kerma at the reference point of one event (Gy)."""
DISTANCE_SOURCE_TO_RP: Final = dcm("113737")
"""Distance Source to Reference Point."""
FLUORO_MODE: Final = dcm("113732")
"""Fluoro Mode (CID 10004)."""
PULSE_RATE: Final = dcm("113791")
"""Pulse Rate."""
NUMBER_OF_PULSES: Final = dcm("113768")
"""Number of Pulses."""
PULSE_WIDTH: Final = dcm("113793")
"""Pulse Width."""
IRRADIATION_DURATION: Final = dcm("113742")
"""Irradiation Duration."""
KVP: Final = dcm("113733")
"""KVP."""
TUBE_CURRENT: Final = dcm("113734")
"""X-Ray Tube Current."""
AVERAGE_TUBE_CURRENT: Final = dcm("113767")
"""Average X-Ray Tube Current."""
EXPOSURE_TIME_RETIRED: Final = dcm("113735")
"""Exposure Time, retired code still sent by installed systems (milliseconds)."""
EXPOSURE: Final = dcm("113736")
"""Exposure (uA.s)."""
FOCAL_SPOT_SIZE: Final = dcm("113766")
"""Focal Spot Size."""
ANODE_TARGET_MATERIAL: Final = dcm("111632")
"""Anode Target Material (CID 10016)."""
XRAY_FILTERS: Final = dcm("113771")
"""X-Ray Filters container (one per filter)."""
XRAY_FILTER_TYPE: Final = dcm("113772")
"""X-Ray Filter Type (CID 10007)."""
XRAY_FILTER_MATERIAL: Final = dcm("113757")
"""X-Ray Filter Material (CID 10006)."""
XRAY_FILTER_THICKNESS_MIN: Final = dcm("113758")
"""X-Ray Filter Thickness Minimum."""
XRAY_FILTER_THICKNESS_MAX: Final = dcm("113773")
"""X-Ray Filter Thickness Maximum."""
HALF_VALUE_LAYER: Final = dcm("111634")
"""Half Value Layer."""
XRAY_GRID: Final = dcm("111635")
"""X-Ray Grid (CID 10017)."""
COLLIMATED_FIELD_AREA: Final = dcm("113790")
"""Collimated Field Area (m2)."""
COLLIMATED_FIELD_HEIGHT: Final = dcm("113788")
"""Collimated Field Height."""
COLLIMATED_FIELD_WIDTH: Final = dcm("113789")
"""Collimated Field Width."""
EXPOSURE_INDEX: Final = dcm("113845")
"""Exposure Index (IEC 62494-1)."""
TARGET_EXPOSURE_INDEX: Final = dcm("113846")
"""Target Exposure Index."""
DEVIATION_INDEX: Final = dcm("113847")
"""Deviation Index."""
POSITIONER_PRIMARY_ANGLE: Final = dcm("112011")
"""Positioner Primary Angle."""
POSITIONER_SECONDARY_ANGLE: Final = dcm("112012")
"""Positioner Secondary Angle."""
POSITIONER_PRIMARY_END_ANGLE: Final = dcm("113739")
"""Positioner Primary End Angle."""
POSITIONER_SECONDARY_END_ANGLE: Final = dcm("113740")
"""Positioner Secondary End Angle."""
COLUMN_ANGULATION: Final = dcm("113770")
"""Column Angulation."""
DISTANCE_SOURCE_TO_ISOCENTER: Final = dcm("113748")
"""Distance Source to Isocenter."""
DISTANCE_SOURCE_TO_DETECTOR: Final = dcm("113750")
"""Distance Source to Detector."""
TABLE_LONGITUDINAL_POSITION: Final = dcm("113751")
"""Table Longitudinal Position (retired 2025, still sent)."""
TABLE_LATERAL_POSITION: Final = dcm("113752")
"""Table Lateral Position (retired 2025, still sent)."""
TABLE_HEIGHT_POSITION: Final = dcm("113753")
"""Table Height Position."""
AVERAGE_GLANDULAR_DOSE: Final = dcm("111631")
"""Average Glandular Dose of one exposure (mGy)."""
ENTRANCE_EXPOSURE_AT_RP: Final = dcm("111636")
"""Entrance Exposure at RP (mGy)."""
COMPRESSION_THICKNESS: Final = dcm("111633")
"""Compression Thickness."""

PLANES: Final[dict[Concept, str]] = {
    ("DCM", "113622"): "single",
    ("DCM", "113620"): "plane_a",
    ("DCM", "113621"): "plane_b",
    ("DCM", "113890"): "all_planes",
}
"""CID 10003 Equipment Plane Identification, as stored."""

PROJECTION_EVENT_TYPES: Final[dict[Concept, str]] = {
    ("SRT", "P5-06000"): "fluoroscopy",
    ("SCT", "44491008"): "fluoroscopy",
    ("DCM", "113611"): "stationary_acquisition",
    ("DCM", "113612"): "stepping_acquisition",
    ("DCM", "113613"): "rotational_acquisition",
}
"""CID 10002 Irradiation Event Type, as stored in ``event_type``."""

FLUORO_MODES: Final[dict[Concept, str]] = {
    ("DCM", "113630"): "continuous",
    ("DCM", "113631"): "pulsed",
}
"""CID 10004 Fluoro Mode."""

NO_FILTER: Final = dcm("111609")
"""No filter (filter type)."""

MATERIALS: Final[dict[Concept, str]] = {
    ("SRT", "C-120F9"): "Al",
    ("SCT", "12503006"): "Al",
    ("SCT", "105830007"): "Al",  # 'Aluminum or aluminum compound', the SRT map's target
    ("SRT", "C-127F9"): "Cu",
    ("SCT", "66925006"): "Cu",
    ("SRT", "C-150F9"): "Mo",
    ("SCT", "71128006"): "Mo",
    ("SRT", "C-167F9"): "Rh",
    ("SCT", "59801003"): "Rh",
    ("SRT", "C-137F9"): "Ag",
    ("SCT", "41967008"): "Ag",
    ("SRT", "C-164F9"): "W",
    ("SCT", "26194003"): "W",
    ("SRT", "C-132F9"): "Pb",
    ("SCT", "88488004"): "Pb",
    ("SRT", "C-156F9"): "Ta",
    ("SCT", "45215009"): "Ta",
    ("SRT", "C-1190E"): "Nb",
    ("SCT", "767776000"): "Nb",
    ("SRT", "C-1190F"): "Eu",
    ("SCT", "767775001"): "Eu",
    ("SCT", "12597001"): "Sn",
}
"""Filter (CID 10006) and anode target (CID 10016) materials, as element symbols."""

GRIDS: Final[dict[Concept, str]] = {
    ("DCM", "111640"): "virtual",
    ("DCM", "111641"): "fixed",
    ("DCM", "111642"): "focused",
    ("DCM", "111643"): "reciprocating",
    ("DCM", "111644"): "parallel",
    ("DCM", "111645"): "crossed",
    ("DCM", "111646"): "none",
}
"""CID 10017 X-Ray Grid."""

VIEWS: Final[dict[Concept, str]] = {
    ("SRT", "R-10242"): "CC",
    ("SCT", "399162004"): "CC",
    ("SRT", "R-10226"): "MLO",
    ("SCT", "399368009"): "MLO",
    ("SRT", "R-10224"): "ML",
    ("SCT", "399260004"): "ML",
    ("SRT", "R-10228"): "LM",
    ("SCT", "399352003"): "LM",
    ("SRT", "R-10206"): "AP",
    ("SCT", "399348003"): "AP",
    ("SCT", "272479007"): "PA",
}
"""Common image views (CID 4010 / 4014), as the View Position abbreviations image headers use."""

REFERENCE_POINTS: Final[dict[Concept, str]] = {
    ("DCM", "113860"): "15 cm from isocenter toward source",
    ("DCM", "113861"): "30 cm in front of image input surface",
    ("DCM", "113862"): "1 cm above tabletop",
    ("DCM", "113863"): "30 cm above tabletop",
    ("DCM", "113864"): "15 cm from table centerline",
    ("DCM", "113865"): "4.2 cm above breast support surface",
    ("DCM", "113941"): "in detector plane",
    ("DCM", "113964"): "at surface of patient",
    ("DCM", "113965"): "100 cm from x-ray source",
}
"""CID 10025 Radiation Dose Reference Point, as stored (one wording whatever the edition)."""

# ---------------------------------------------------------------------------------------------------
# Radiopharmaceutical: TID 10021 root, TID 10022 administration, TID 10023 organ dose, TID 10024
# ---------------------------------------------------------------------------------------------------
ASSOCIATED_PROCEDURE: Final = snomed("G-C2D0", "363589002")
"""Associated Procedure (root modifier of TID 10021)."""
RADIOPHARMACEUTICAL_ADMINISTRATION: Final = dcm("113502")
"""Radiopharmaceutical Administration container (TID 10022)."""
ADMINISTRATION_EVENT_UID: Final = dcm("113503")
"""Radiopharmaceutical Administration Event UID."""
RADIOPHARMACEUTICAL_AGENT: Final = snomed("F-61FDB", "349358000")
"""Radiopharmaceutical agent (CODE)."""
RADIONUCLIDE: Final = snomed("C-10072", "89457008")
"""Radionuclide (CODE, usually a property of the agent)."""
RADIONUCLIDE_HALF_LIFE: Final = snomed("R-42806", "304283002")
"""Radionuclide Half Life."""
RADIOPHARMACEUTICAL_START: Final = dcm("123003")
"""Radiopharmaceutical Start DateTime."""
RADIOPHARMACEUTICAL_STOP: Final = dcm("123004")
"""Radiopharmaceutical Stop DateTime."""
ADMINISTERED_ACTIVITY: Final = dcm("113507")
"""Administered activity (MBq)."""
PRE_ADMINISTRATION_ACTIVITY: Final = dcm("113508")
"""Pre-Administration Measured Activity."""
POST_ADMINISTRATION_ACTIVITY: Final = dcm("113509")
"""Post-Administration Measured Activity."""
ROUTE_OF_ADMINISTRATION: Final = snomed("G-C340", "410675002")
"""Route of administration."""
ORGAN_DOSE_INFORMATION: Final = dcm("113517")
"""Organ Dose Information container (TID 10023)."""
ORGAN_DOSE: Final = dcm("113518")
"""Organ Dose (mGy)."""

PET_PROCEDURES: Final = snomed("P5-0A00A", "241443006")
"""PET study for localization of tumor: an associated procedure that makes the exam PT, not NM."""
POSITRON_EMITTERS: Final = snomed("C-111A1", "77004003")
"""Fluorine-18: a radionuclide that makes the exam PT, not NM."""

# ---------------------------------------------------------------------------------------------------
# Private: Siemens radiation summary of mobile C-arms (99SMS_RADSUM)
# ---------------------------------------------------------------------------------------------------
SIEMENS_TOTAL_EXPOSURES: Final = frozenset({("99SMS_RADSUM", "C-200")})
"""Total number of exposures."""
SIEMENS_FLUORO_TIME: Final = frozenset({("99SMS_RADSUM", "C-202")})
"""Cumulative fluoro time."""
SIEMENS_DAP: Final = frozenset({("99SMS_RADSUM", "C-204")})
"""Cumulative dose area product (unit as declared, e.g. 'Gy.cm^2')."""
SIEMENS_START: Final = frozenset({("99SMS_RADSUM", "C-206")})
"""Start of the examination."""
SIEMENS_AIR_KERMA: Final = frozenset({("99SMS_RADSUM", "C-210")})
"""Cumulative air kerma."""
