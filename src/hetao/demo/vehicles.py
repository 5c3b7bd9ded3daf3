"""The demo's vehicles: Channel No. 1 cars of 11 institutions (R15), shuttle buses and goods
vehicles, with their permit cards and whitelist cases."""

from __future__ import annotations

import datetime as dt

from hetao.demo.builder import Builder
from hetao.demo.vocabulary import HK_PLATE_LETTERS, PLATE_LETTERS
from hetao.profiles import CrossingKind, CrossingPoint, Flow, Line
from hetao.registry import parties as registry_parties
from hetao.registry.models import (
    BENEFICIARY_KINDS,
    Party,
    PartyKind,
    PlateRegion,
    SubjectKind,
    Vehicle,
    VehicleKind,
    WhitelistApplication,
)
from hetao.registry.schemas import PermitIn, VehicleCreate
from hetao.timeutil import add_months

#: Institutions whose cars hold Channel No. 1 permit cards (R15: the first 11).
CHANNEL1_CAR_OWNERS = 11
SHUTTLE_BUSES = 4


def crossing_point(builder: Builder, kind: CrossingKind) -> CrossingPoint | None:
    """The first first-line crossing point of ``kind`` that vehicles use, if any."""
    return next(
        (
            p
            for p in builder.profile.crossing_points
            if p.kind is kind and p.line is Line.FIRST and Flow.VEHICLES in p.flows
        ),
        None,
    )


def cross_boundary_plates(builder: Builder) -> tuple[str, str]:
    """A Guangdong 粤Z...港 plate and the Hong Kong plate the same vehicle carries."""
    plate = builder.unique(lambda: builder.fill("粤Z·@###港", letters=PLATE_LETTERS))
    hk_plate = builder.unique(
        lambda: builder.fill("@@", letters=HK_PLATE_LETTERS) + str(builder.rng.randint(1, 9999))
    )
    return plate, hk_plate


def permit_cards(builder: Builder, point: CrossingPoint | None, prefix: str) -> list[PermitIn]:
    """A one-year permit card at ``point``, issued within the last ten months."""
    if point is None:
        return []
    issued = builder.days_ago(0, 300)
    return [
        PermitIn(
            number=builder.unique(lambda: builder.fill(f"{prefix}-{issued.year}-####")),
            crossing_points=[point.code],
            valid_from=issued,
            valid_until=add_months(issued, 12) - dt.timedelta(days=1),
        )
    ]


def cross_boundary_vehicle(
    builder: Builder, kind: VehicleKind, owner: Party, permits: list[PermitIn]
) -> VehicleCreate:
    """A vehicle with cross-boundary plates of ``owner``, with ``permits``."""
    plate, hk_plate = cross_boundary_plates(builder)
    return VehicleCreate(
        plate=plate,
        plate_region=PlateRegion.CROSS_BOUNDARY,
        hk_plate=hk_plate,
        kind=kind,
        owner_party_id=owner.id,
        permits=permits,
    )


def create_vehicles(builder: Builder) -> None:
    """Channel No. 1 cars of 11 institutions (R15), shuttle buses and goods vehicles."""
    channel1 = crossing_point(builder, CrossingKind.DEDICATED_CHANNEL)
    port = crossing_point(builder, CrossingKind.PORT)
    owners = [
        r.party
        for r in builder.research
        if r.party.kind in BENEFICIARY_KINDS and r.fate == "active"
    ]
    passenger, goods = (p for p in builder.parties if p.kind is PartyKind.CARRIER)
    # (vehicle, status its whitelist application ends in; None: no application)
    wanted: list[tuple[VehicleCreate, str | None]] = []

    def cross_boundary(kind: VehicleKind, owner: Party, permits: list[PermitIn]) -> VehicleCreate:
        return cross_boundary_vehicle(builder, kind, owner, permits)

    for index, owner in enumerate(builder.rng.sample(owners, CHANNEL1_CAR_OWNERS + 1)):
        if index == CHANNEL1_CAR_OWNERS:
            # One more institution has just applied: no permit card yet, its car is pending.
            wanted.append((cross_boundary(VehicleKind.CHANNEL1_CAR, owner, []), "submitted"))
            continue
        for _ in range(builder.rng.choice((1, 1, 2))):
            car = cross_boundary(
                VehicleKind.CHANNEL1_CAR, owner, permit_cards(builder, channel1, "FBZ1")
            )
            wanted.append((car, "approved"))
    for _ in range(SHUTTLE_BUSES):
        bus = cross_boundary(
            VehicleKind.SHUTTLE_BUS, passenger, permit_cards(builder, channel1, "FBZ1")
        )
        wanted.append((bus, "approved"))
    for _ in range(2):
        truck = cross_boundary(VehicleKind.GOODS_VEHICLE, goods, permit_cards(builder, port, "HG"))
        wanted.append((truck, None))
    for _ in range(3):
        plate = builder.unique(lambda: builder.fill("粤B·@####", letters=PLATE_LETTERS))
        truck = VehicleCreate(
            plate=plate,
            plate_region=PlateRegion.MAINLAND,
            kind=VehicleKind.GOODS_VEHICLE,
            owner_party_id=goods.id,
        )
        wanted.append((truck, None))
    builder.vehicles = registry_parties.create_vehicles(
        builder.session, [data for data, _ in wanted], profile=builder.profile, actor=builder.actor
    )
    for vehicle, (data, status) in zip(builder.vehicles, wanted, strict=True):
        if status is None:
            continue
        app = apply_for_channel1(builder, vehicle)
        if status == "approved":
            # The whitelist entry starts the day the permit card was issued.
            builder.approve(app, on=data.permits[0].valid_from if data.permits else builder.today)
        else:
            builder.review(app, status)


def apply_for_channel1(builder: Builder, vehicle: Vehicle) -> WhitelistApplication:
    """A draft application of a car or shuttle bus for Channel No. 1 (R15)."""
    is_bus = vehicle.kind is VehicleKind.SHUTTLE_BUS
    return builder.apply(
        SubjectKind.VEHICLE,
        builder.scopes(
            ["people"] if is_bus else ["people", "goods"], ["first"], ["channel1_vehicle"]
        ),
        vehicle=vehicle,
        justification=(
            "Research shuttle bus through Channel No. 1."
            if is_bus
            else "Institution car for research staff through Channel No. 1."
        ),
    )


#: The review states the demo's newest Channel No. 1 cars wait in (the others are approved,
#: or submitted, above).
CARS_IN_REVIEW = ("draft", "information_requested", "resubmitted", "declined")


def cars_in_review(builder: Builder) -> None:
    """New cars of whitelisted institutions, their applications in each review state left."""
    owners = [
        r.party
        for r in builder.research
        if r.party.kind in BENEFICIARY_KINDS and r.fate == "active"
    ]
    cars = [
        cross_boundary_vehicle(builder, VehicleKind.CHANNEL1_CAR, builder.rng.choice(owners), [])
        for _ in CARS_IN_REVIEW
    ]
    made = registry_parties.create_vehicles(
        builder.session, cars, profile=builder.profile, actor=builder.actor
    )
    builder.vehicles += made
    for vehicle, status in zip(made, CARS_IN_REVIEW, strict=True):
        builder.review(apply_for_channel1(builder, vehicle), status)
