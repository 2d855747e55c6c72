"""Coded concepts the simulator writes: DCM and SCT codes (PS3.16) and UCUM units.

Meanings follow the DICOM code tables; consumers must match on (scheme, value), never on meaning.
``LEGACY`` maps current SCT codes to the SNOMED-RT (SRT) codes installed equipment still sends; rooms
flagged ``legacy_codes`` write those, so parsers meet both spellings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    """A coded concept: value, coding scheme designator, meaning."""

    value: str
    scheme: str
    meaning: str


def dcm(value: str, meaning: str) -> Code:
    """A DICOM (DCM) code."""
    return Code(value, "DCM", meaning)


def sct(value: str, meaning: str) -> Code:
    """A SNOMED CT (SCT) code."""
    return Code(value, "SCT", meaning)


def ucum(value: str, meaning: str | None = None) -> Code:
    """A UCUM unit."""
    return Code(value, "UCUM", meaning or value)


# --- document, context and accumulation (TID 10001 / 10011, TID 1002) --------------------------------
XRAY_DOSE_REPORT = dcm("113701", "X-Ray Radiation Dose Report")
PROCEDURE_REPORTED = dcm("121058", "Procedure reported")
HAS_INTENT = sct("363703001", "Has Intent")
DIAGNOSTIC_INTENT = sct("261004008", "Diagnostic Intent")
THERAPEUTIC_INTENT = sct("262202000", "Therapeutic Intent")
COMPUTED_TOMOGRAPHY = sct("77477000", "Computed Tomography X-Ray")
PROJECTION_XRAY = dcm("113704", "Projection X-Ray")
MAMMOGRAPHY = sct("71651007", "Mammography")
ACQUISITION_DEVICE_TYPE = dcm("122142", "Acquisition Device Type")
FLUORO_GUIDED_SYSTEM = dcm("113957", "Fluoroscopy-Guided Projection Radiography System")
INTEGRATED_SYSTEM = dcm("113958", "Integrated Projection Radiography System")
OBSERVER_TYPE = dcm("121005", "Observer Type")
DEVICE = dcm("121007", "Device")
DEVICE_OBSERVER_UID = dcm("121012", "Device Observer UID")
DEVICE_OBSERVER_NAME = dcm("121013", "Device Observer Name")
DEVICE_OBSERVER_MANUFACTURER = dcm("121014", "Device Observer Manufacturer")
DEVICE_OBSERVER_MODEL = dcm("121015", "Device Observer Model Name")
DEVICE_OBSERVER_SERIAL = dcm("121016", "Device Observer Serial Number")
DEVICE_OBSERVER_LOCATION = dcm("121017", "Device Observer Physical Location During Observation")
START_OF_IRRADIATION = dcm("113809", "Start of X-Ray Irradiation")
END_OF_IRRADIATION = dcm("113810", "End of X-Ray Irradiation")
SCOPE_OF_ACCUMULATION = dcm("113705", "Scope of Accumulation")
SCOPE_STUDY = dcm("113014", "Study")
SCOPE_PPS = dcm("113016", "Performed Procedure Step")
STUDY_INSTANCE_UID = dcm("110180", "Study Instance UID")
PPS_SOP_INSTANCE_UID = dcm("121126", "Performed Procedure Step SOP Instance UID")
SOURCE_OF_DOSE_INFORMATION = dcm("113854", "Source of Dose Information")
AUTOMATED_DATA_COLLECTION = dcm("113856", "Automated Data Collection")
COMMENT = dcm("121106", "Comment")

# --- CT (TID 10012 / 10013 / 10014 / 10015) ---------------------------------------------------------------
CT_ACCUMULATED_DOSE_DATA = dcm("113811", "CT Accumulated Dose Data")
TOTAL_NUMBER_OF_EVENTS = dcm("113812", "Total Number of Irradiation Events")
CT_DLP_TOTAL = dcm("113813", "CT Dose Length Product Total")
CT_ACQUISITION = dcm("113819", "CT Acquisition")
ACQUISITION_PROTOCOL = dcm("125203", "Acquisition Protocol")
TARGET_REGION = dcm("123014", "Target Region")
CT_ACQUISITION_TYPE = dcm("113820", "CT Acquisition Type")
CONSTANT_ANGLE = dcm("113805", "Constant Angle Acquisition")
SEQUENCED = dcm("113804", "Sequenced Acquisition")
STATIONARY_CT = dcm("113806", "Stationary Acquisition")
SPIRAL = sct("116152004", "Spiral Acquisition")
PROCEDURE_CONTEXT = sct("408730004", "Procedure Context")
WITH_CONTRAST = sct("27483000", "Diagnostic radiography with contrast media")
WITHOUT_CONTRAST = sct("399331006", "CT without contrast")
IRRADIATION_EVENT_UID = dcm("113769", "Irradiation Event UID")
DATETIME_STARTED = dcm("111526", "DateTime Started")
CT_ACQUISITION_PARAMETERS = dcm("113822", "CT Acquisition Parameters")
EXPOSURE_TIME = dcm("113824", "Exposure Time")
SCANNING_LENGTH = dcm("113825", "Scanning Length")
SINGLE_COLLIMATION = dcm("113826", "Nominal Single Collimation Width")
TOTAL_COLLIMATION = dcm("113827", "Nominal Total Collimation Width")
PITCH_FACTOR = dcm("113828", "Pitch Factor")
NUMBER_OF_SOURCES = dcm("113823", "Number of X-Ray Sources")
CT_SOURCE_PARAMETERS = dcm("113831", "CT X-Ray Source Parameters")
SOURCE_ID = dcm("113832", "Identification of the X-Ray Source")
KVP = dcm("113733", "KVP")
MAX_TUBE_CURRENT = dcm("113833", "Maximum X-Ray Tube Current")
TUBE_CURRENT = dcm("113734", "X-Ray Tube Current")
EXPOSURE_TIME_PER_ROTATION = dcm("113834", "Exposure Time per Rotation")
CT_DOSE = dcm("113829", "CT Dose")
MEAN_CTDIVOL = dcm("113830", "Mean CTDIvol")
CTDIW_PHANTOM_TYPE = dcm("113835", "CTDIw Phantom Type")
HEAD_PHANTOM = dcm("113690", "IEC Head Dosimetry Phantom")
BODY_PHANTOM = dcm("113691", "IEC Body Dosimetry Phantom")
DLP = dcm("113838", "DLP")
DOSE_CHECK_ALERT_DETAILS = dcm("113900", "Dose Check Alert Details")
DLP_ALERT_CONFIGURED = dcm("113901", "DLP Alert Value Configured")
CTDIVOL_ALERT_CONFIGURED = dcm("113902", "CTDIvol Alert Value Configured")
CTDIVOL_ALERT_VALUE = dcm("113904", "CTDIvol Alert Value")
DOSE_CHECK_NOTIFICATION_DETAILS = dcm("113908", "Dose Check Notification Details")
DLP_NOTIFICATION_CONFIGURED = dcm("113909", "DLP Notification Value Configured")
CTDIVOL_NOTIFICATION_CONFIGURED = dcm("113910", "CTDIvol Notification Value Configured")
CTDIVOL_NOTIFICATION_VALUE = dcm("113912", "CTDIvol Notification Value")
YES = sct("373066001", "Yes")
NO = sct("373067005", "No")

# --- projection (TID 10002 / 10003 / 10004 / 10005 / 10007) -----------------------------------------------
ACCUMULATED_XRAY_DOSE = dcm("113702", "Accumulated X-Ray Dose Data")
ACQUISITION_PLANE = dcm("113764", "Acquisition Plane")
SINGLE_PLANE = dcm("113622", "Single Plane")
PLANE_A = dcm("113620", "Plane A")
PLANE_B = dcm("113621", "Plane B")
CALIBRATION = dcm("122505", "Calibration")
DOSE_MEASUREMENT_DEVICE = dcm("113794", "Dose Measurement Device")
DOSIMETER = sct("15869005", "Dosimeter")
CALIBRATION_DATETIME = dcm("113723", "Calibration DateTime")
CALIBRATION_FACTOR = dcm("122322", "Calibration Factor")
CALIBRATION_UNCERTAINTY = dcm("113763", "Calibration Uncertainty")
CALIBRATION_RESPONSIBLE = dcm("113724", "Calibration Responsible Party")
FLUORO_DAP_TOTAL = dcm("113726", "Fluoro Dose Area Product Total")
FLUORO_RP_TOTAL = dcm("113728", "Fluoro Dose (RP) Total")
TOTAL_FLUORO_TIME = dcm("113730", "Total Fluoro Time")
ACQUISITION_DAP_TOTAL = dcm("113727", "Acquisition Dose Area Product Total")
ACQUISITION_RP_TOTAL = dcm("113729", "Acquisition Dose (RP) Total")
TOTAL_ACQUISITION_TIME = dcm("113855", "Total Acquisition Time")
DAP_TOTAL = dcm("113722", "Dose Area Product Total")
RP_TOTAL = dcm("113725", "Dose (RP) Total")
TOTAL_FRAMES = dcm("113731", "Total Number of Radiographic Frames")
REFERENCE_POINT_DEFINITION = dcm("113780", "Reference Point Definition")
IRP_15CM = dcm("113860", "15cm from Isocenter toward Source")
IN_DETECTOR_PLANE = dcm("113941", "In Detector Plane")
BREAST_SUPPORT_4CM = dcm("113865", "4.2cm above Breast Support Surface")
ACCUMULATED_AGD = dcm("111637", "Accumulated Average Glandular Dose")
IRRADIATION_EVENT_XRAY_DATA = dcm("113706", "Irradiation Event X-Ray Data")
IRRADIATION_EVENT_TYPE = dcm("113721", "Irradiation Event Type")
FLUOROSCOPY = sct("44491008", "Fluoroscopy")
STATIONARY_ACQUISITION = dcm("113611", "Stationary Acquisition")
ROTATIONAL_ACQUISITION = dcm("113613", "Rotational Acquisition")
IMAGE_VIEW = dcm("111031", "Image View")
LATERALITY = sct("272741003", "Laterality")
DAP = dcm("122130", "Dose Area Product")
DOSE_RP = dcm("113738", "Dose (RP)")
DISTANCE_SOURCE_TO_RP = dcm("113737", "Distance Source to Reference Point")
FLUORO_MODE = dcm("113732", "Fluoro Mode")
PULSED = dcm("113631", "Pulsed")
PULSE_RATE = dcm("113791", "Pulse Rate")
NUMBER_OF_PULSES = dcm("113768", "Number of Pulses")
PULSE_WIDTH = dcm("113793", "Pulse Width")
IRRADIATION_DURATION = dcm("113742", "Irradiation Duration")
EXPOSURE = dcm("113736", "Exposure")
FOCAL_SPOT_SIZE = dcm("113766", "Focal Spot Size")
XRAY_FILTERS = dcm("113771", "X-Ray Filters")
FILTER_TYPE = dcm("113772", "X-Ray Filter Type")
FLAT_FILTER = dcm("113653", "Flat filter")
FILTER_MATERIAL = dcm("113757", "X-Ray Filter Material")
FILTER_THICKNESS_MIN = dcm("113758", "X-Ray Filter Thickness Minimum")
FILTER_THICKNESS_MAX = dcm("113773", "X-Ray Filter Thickness Maximum")
COLLIMATED_FIELD_AREA = dcm("113790", "Collimated Field Area")
POSITIONER_PRIMARY_ANGLE = dcm("112011", "Positioner Primary Angle")
POSITIONER_SECONDARY_ANGLE = dcm("112012", "Positioner Secondary Angle")
DISTANCE_SOURCE_TO_DETECTOR = dcm("113750", "Distance Source to Detector")
DISTANCE_SOURCE_TO_ISOCENTER = dcm("113748", "Distance Source to Isocenter")
EXPOSURE_INDEX = dcm("113845", "Exposure Index")
TARGET_EXPOSURE_INDEX = dcm("113846", "Target Exposure Index")
DEVIATION_INDEX = dcm("113847", "Deviation Index")
AVERAGE_GLANDULAR_DOSE = dcm("111631", "Average Glandular Dose")
ENTRANCE_EXPOSURE_AT_RP = dcm("111636", "Entrance Exposure at RP")
COMPRESSION_THICKNESS = dcm("111633", "Compression Thickness")
HALF_VALUE_LAYER = dcm("111634", "Half Value Layer")
ANODE_TARGET_MATERIAL = dcm("111632", "Anode Target Material")

# --- values: anatomy, views, materials (SCT) ------------------------------------------------------------
HEAD = sct("69536005", "Head")
CHEST = sct("816094009", "Chest")
ABDOMEN = sct("818981001", "Abdomen")
PELVIS = sct("816092008", "Pelvis")
ABDOMEN_AND_PELVIS = sct("818982008", "Abdomen and Pelvis")
CHEST_ABDOMEN_PELVIS = sct("416775004", "Chest, Abdomen and Pelvis")
PARANASAL_SINUS = sct("2095001", "Paranasal sinus")
LUMBAR_SPINE = sct("122496007", "Lumbar spine")
HEART = sct("80891009", "Heart")
CORONARY_ARTERY = sct("41801008", "Coronary artery")
CEREBRAL_ARTERY = sct("88556005", "Cerebral artery")
LOWER_LIMB = sct("61685007", "Lower limb")
BILE_DUCT = sct("28273000", "Bile duct")
ESOPHAGUS = sct("32849002", "Esophagus")
URETHRA = sct("13648007", "Urethra")
KNEE = sct("72696002", "Knee")
HAND = sct("85562004", "Hand")
BREAST = sct("76752008", "Breast")
LEFT = sct("7771000", "Left")
RIGHT = sct("24028007", "Right")
CRANIO_CAUDAL = sct("399162004", "cranio-caudal")
MEDIO_LATERAL_OBLIQUE = sct("399368009", "medio-lateral oblique")
POSTERO_ANTERIOR = sct("272479007", "postero-anterior")
ANTERO_POSTERIOR = sct("399348003", "antero-posterior")
LATERAL = sct("49370004", "lateral")
TUNGSTEN = sct("26194003", "Tungsten")
MOLYBDENUM = sct("71128006", "Molybdenum")
RHODIUM = sct("59801003", "Rhodium")
SILVER = sct("41967008", "Silver")
COPPER = sct("66925006", "Copper")
ALUMINUM = sct("12503006", "Aluminum")

# --- UCUM units -------------------------------------------------------------------------------------------
U_MGY = ucum("mGy")
U_GY = ucum("Gy")
U_MGY_CM = ucum("mGy.cm")
U_GY_M2 = ucum("Gy.m2")
U_M2 = ucum("m2")
U_S = ucum("s")
U_MS = ucum("ms")
U_MM = ucum("mm")
U_KV = ucum("kV")
U_MA = ucum("mA")
U_UAS = ucum("uA.s")
U_DEG = ucum("deg")
U_RATIO = ucum("{ratio}", "ratio")
U_EVENTS = ucum("{events}", "events")
U_SOURCES = ucum("{X-Ray sources}", "X-Ray sources")
U_PULSE_RATE = ucum("{pulse}/s", "pulse/s")
U_ONE = ucum("1", "no units")
U_PERCENT = ucum("%", "percent")

# Current SCT code -> legacy SRT code written by older installed equipment (pairs from pydicom's
# SNOMED map; Chest / Abdomen as such devices write them).
LEGACY: dict[Code, Code] = {
    COMPUTED_TOMOGRAPHY: Code("P5-08000", "SRT", "Computed Tomography X-Ray"),
    MAMMOGRAPHY: Code("P5-40010", "SRT", "Mammography"),
    FLUOROSCOPY: Code("P5-06000", "SRT", "Fluoroscopy"),
    SPIRAL: Code("P5-08001", "SRT", "Spiral Acquisition"),
    HAS_INTENT: Code("G-C0E8", "SRT", "Has Intent"),
    DIAGNOSTIC_INTENT: Code("R-408C3", "SRT", "Diagnostic Intent"),
    THERAPEUTIC_INTENT: Code("R-41531", "SRT", "Therapeutic Intent"),
    PROCEDURE_CONTEXT: Code("G-C32C", "SRT", "Procedure Context"),
    WITH_CONTRAST: Code("P5-00100", "SRT", "Diagnostic radiography with contrast media"),
    WITHOUT_CONTRAST: Code("P5-0808E", "SRT", "CT without contrast"),
    LATERALITY: Code("G-C171", "SRT", "Laterality"),
    YES: Code("R-0038D", "SRT", "Yes"),
    NO: Code("R-00339", "SRT", "No"),
    DOSIMETER: Code("A-2C090", "SRT", "Dosimeter"),
    LEFT: Code("G-A101", "SRT", "Left"),
    RIGHT: Code("G-A100", "SRT", "Right"),
    HEAD: Code("T-D1100", "SRT", "Head"),
    CHEST: Code("T-D3000", "SRT", "Chest"),
    ABDOMEN: Code("T-D4000", "SRT", "Abdomen"),
    BREAST: Code("T-04000", "SRT", "Breast"),
    KNEE: Code("T-D9200", "SRT", "Knee"),
    HAND: Code("T-D8700", "SRT", "Hand"),
    LUMBAR_SPINE: Code("T-11503", "SRT", "Lumbar spine"),
    PARANASAL_SINUS: Code("T-22000", "SRT", "Paranasal sinus"),
    HEART: Code("T-32000", "SRT", "Heart"),
    CHEST_ABDOMEN_PELVIS: Code("R-FAB56", "SRT", "Chest, Abdomen and Pelvis"),
    POSTERO_ANTERIOR: Code("R-40888", "SRT", "postero-anterior"),
    ANTERO_POSTERIOR: Code("R-10206", "SRT", "antero-posterior"),
    LATERAL: Code("G-A104", "SRT", "lateral"),
}
