"""Projection exposures (CR, DX, MG, IO, XA, RF) from one image header: one image, one exposure (or one
XA/RF run, whose Image and Fluoroscopy Area Dose Product is the run's DAP)."""

from __future__ import annotations

from kerma.domain.model import IrradiationEvent
from kerma.domain.units import DGY_CM2_TO_GY_CM2, DGY_TO_MGY
from kerma.ingest.headers.fields import Fields
from kerma.ingest.headers.technique import fill_technique

_FLUOROSCOPIC = frozenset({"XA", "RF"})


def _non_negative(value: float | None) -> float | None:
    return value if value is not None and value >= 0 else None


def projection_event(f: Fields, modality: str, *, mammography: bool) -> tuple[IrradiationEvent, bool, bool]:
    """The exposure an image header describes, without identity yet.

    Returns (event, has dose attributes, has exposure factors). Dose attributes are DAP, entrance dose
    and organ dose; MG Organ Dose (dGy) is the vendor's average glandular dose.
    """
    ev = IrradiationEvent(irradiation_event_uid="", modality=modality)
    has_exposure = fill_technique(ev, f)

    dap_dgy_cm2 = f.dose("ImageAndFluoroscopyAreaDoseProduct")
    ev.dap_gy_cm2 = None if dap_dgy_cm2 is None else dap_dgy_cm2 * DGY_CM2_TO_GY_CM2
    entrance = f.dose("EntranceDoseInmGy")
    if entrance is None:
        entrance_dgy = f.dose("EntranceDose")
        # US in whole dGy: 0 means "below 1 dGy" (every mammogram), not a measured zero.
        if entrance_dgy:
            entrance = entrance_dgy * DGY_TO_MGY
    ev.entrance_dose_mgy = entrance
    organ_dgy = f.dose("OrganDose")
    if organ_dgy is not None:
        if mammography:
            ev.agd_mgy = organ_dgy * DGY_TO_MGY
        else:
            ev.extra["organ_dose_mgy"] = organ_dgy * DGY_TO_MGY
            ev.extra["organ_exposed"] = f.text("OrganExposed")
    has_dose = any(v is not None for v in (ev.dap_gy_cm2, ev.entrance_dose_mgy, organ_dgy))

    ev.exposure_index = _non_negative(f.number("ExposureIndex"))
    ev.target_exposure_index = _non_negative(f.number("TargetExposureIndex"))
    ev.deviation_index = f.number("DeviationIndex")
    ev.laterality = f.text("ImageLaterality") or f.text("Laterality")
    ev.view = f.text("ViewPosition") or f.code("ViewCodeSequence")[1]
    ev.distance_source_to_patient_mm = f.number("DistanceSourceToPatient", positive=True)
    ev.distance_source_to_isocenter_mm = f.number("DistanceSourceToIsocenter", positive=True)
    ev.positioner_primary_angle_deg = f.number("PositionerPrimaryAngle")
    ev.positioner_secondary_angle_deg = f.number("PositionerSecondaryAngle")
    ev.grid = f.text("Grid")
    ev.half_value_layer_mm = f.number("HalfValueLayer", positive=True)
    ev.anode_target = f.text("AnodeTargetMaterial")
    thickness = f.number("BodyPartThickness", positive=True)
    if mammography:
        ev.compression_thickness_mm = thickness
        ev.compression_force_n = _non_negative(f.number("CompressionForce"))
    elif thickness is not None:
        ev.extra["body_part_thickness_mm"] = thickness
    entrance_distance = f.number("DistanceSourceToEntrance", positive=True)
    if entrance_distance is not None:
        ev.extra["distance_source_to_entrance_mm"] = entrance_distance
    relative_exposure = f.number("RelativeXRayExposure")
    if relative_exposure is not None:
        ev.extra["relative_xray_exposure"] = relative_exposure  # vendor index (S value, lgM, ...)

    if (f.text("QualityControlImage") or "").upper() == "YES":
        ev.extra["quality_control_image"] = True  # a phantom or flat-field exposure, not a patient's
    if modality in _FLUOROSCOPIC:
        mode = (f.text("RadiationMode") or "").lower()  # CONTINUOUS / PULSED, stored as CID 10004
        ev.fluoro_mode = mode if mode in ("continuous", "pulsed") else None
        ev.pulse_width_ms = f.number("AveragePulseWidth", positive=True)
        ev.fluoro_time_s = f.number("TotalTimeOfFluoroscopy", positive=True)  # retired, seconds
        frames = f.number("NumberOfFrames", positive=True)
        if frames is not None:
            ev.extra["number_of_frames"] = frames
        if (f.text("PositionerMotion") or "").upper() == "DYNAMIC":
            ev.event_type = "rotational_acquisition"  # stored as the RDSR's CID 10002
    else:
        ev.event_type = "stationary_acquisition"
    has_exposure = has_exposure or ev.exposure_index is not None
    return ev, has_dose, has_exposure
