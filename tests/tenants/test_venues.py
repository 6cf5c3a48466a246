"""Venues and windows: tier fit, window numbers, staff, AB岗 takeover and isolation."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select

from tests.world import PATHS, build_world
from zhengwu.core.audit import AuditEntry
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.security.models import Grant, User
from zhengwu.core.security.principal import GrantRef, Principal
from zhengwu.tenants import settings as cascade
from zhengwu.tenants import venues
from zhengwu.tenants.models import Tenant, VenueKind, WindowKind
from zhengwu.tenants.venues import KEEP, NewVenue, NewWindow, VenuePatch, WindowPatch

SYSTEM = Principal.system()
CODES = {key: path.rsplit("/", 1)[-1] for key, path in PATHS.items()}
TIERS = {"province": "province", "city": "city", "county": "county", "township": "township",
         "village": "village", "sibling_county": "county", "sibling_township": "township",
         "sibling_village": "village", "other_province": "province", "other_county": "county"}


def at(place: str, role: str) -> Principal:
    path = PATHS[place]
    return Principal(uuid.uuid4(), f"{role}@{place}", None, path, None, path, TIERS[place],
                     (GrantRef(role, path),))


COUNTY = at("county", "county_admin")


@pytest.fixture
async def world(system_session):
    await build_world(system_session)
    return system_session


async def tenant(session, place: str) -> Tenant:
    return await session.scalar(select(Tenant).where(Tenant.code == CODES[place]))


async def user(session, place: str, name: str, *, active: bool = True,
               kind: str = "person") -> uuid.UUID:
    t = await tenant(session, place)
    u = User(tenant_id=t.id, tenant_path=t.path, username=name, display_name=name, kind=kind,
             is_active=active)
    session.add(u)
    await session.flush()
    return u.id


@asynccontextmanager
async def acting(sessionmaker, principal: Principal):
    """A session scoped like a request of ``principal`` (RLS applies on PostgreSQL)."""
    async with sessionmaker() as s:
        s.info["scope"] = principal.scope
        yield s


async def centre(session, principal: Principal = COUNTY, place: str = "county"):
    return await venues.create_venue(session, principal, CODES[place],
                                     NewVenue(VenueKind.SERVICE_CENTRE, "宁国市政务服务中心",
                                              address="宁国市中山路 1 号"))


async def test_venue_kinds_fit_tiers(world):
    ok = [("county", VenueKind.SERVICE_CENTRE), ("county", VenueKind.SPECIALISED_HALL),
          ("city", VenueKind.SERVICE_CENTRE), ("province", VenueKind.SPECIALISED_HALL),
          ("township", VenueKind.CONVENIENCE_CENTRE), ("village", VenueKind.AGENT_POINT)]
    for place, kind in ok:
        v = await venues.create_venue(world, SYSTEM, CODES[place], NewVenue(kind, f"{place}馆"))
        assert v.kind == kind.value and v.tenant_path == PATHS[place] and v.active
    bad = [("township", VenueKind.SERVICE_CENTRE), ("village", VenueKind.SPECIALISED_HALL),
           ("county", VenueKind.CONVENIENCE_CENTRE), ("village", VenueKind.CONVENIENCE_CENTRE),
           ("township", VenueKind.AGENT_POINT), ("county", VenueKind.AGENT_POINT)]
    for place, kind in bad:
        with pytest.raises(Invalid) as e:
            await venues.create_venue(world, SYSTEM, CODES[place], NewVenue(kind, "错位"))
        assert e.value.code == "venue.wrong_tier" and e.value.field == "kind"
    with pytest.raises(Invalid) as e:
        await venues.create_venue(world, SYSTEM, "0", NewVenue(VenueKind.SERVICE_CENTRE, "平台"))
    assert e.value.code == "venue.wrong_tier"
    with pytest.raises(Invalid) as e:
        await venues.create_venue(world, SYSTEM, CODES["county"], NewVenue("museum", "博物馆"))
    assert e.value.code == "venue.unknown_kind"
    with pytest.raises(Invalid) as e:
        await venues.create_venue(world, SYSTEM, CODES["county"],
                                  NewVenue(VenueKind.SERVICE_CENTRE, "  "))
    assert e.value.code == "venue.name_required" and e.value.field == "name"
    v = await centre(world)
    with pytest.raises(Invalid):  # changing the kind re-checks the tier
        await venues.update_venue(world, COUNTY, v.id,
                                  VenuePatch(kind=VenueKind.CONVENIENCE_CENTRE))


async def test_hours_default_from_the_settings_cascade(world):
    v = await centre(world)
    assert v.hours == "09:00-12:00,13:30-17:30"
    await cascade.set_setting(world, COUNTY, CODES["county"], "core", "service_hours",
                              "08:30-12:00,14:00-17:30")
    point = await venues.create_venue(world, SYSTEM, CODES["village"],
                                      NewVenue(VenueKind.AGENT_POINT, "方塘村代办点"))
    assert point.hours == "08:30-12:00,14:00-17:30"  # inherited from the county
    own = await venues.create_venue(world, COUNTY, CODES["county"],
                                    NewVenue(VenueKind.SPECIALISED_HALL, "公安分厅",
                                             hours="周一至周六 08:00-18:00"))
    assert own.hours == "周一至周六 08:00-18:00"
    assert v.hours == "09:00-12:00,13:30-17:30"  # existing venues keep their hours
    v = await venues.update_venue(world, COUNTY, v.id, VenuePatch(hours=None))
    assert v.hours == "08:30-12:00,14:00-17:30"
    v = await venues.update_venue(world, COUNTY, v.id, VenuePatch(address=None, phone="0563-1"))
    assert v.address is None and v.phone == "0563-1" and v.name == "宁国市政务服务中心"
    actions = (await world.scalars(select(AuditEntry.action).where(
        AuditEntry.target_type == "venue").order_by(AuditEntry.id))).all()
    assert actions == ["venue.create", "venue.create", "venue.create", "venue.update",
                       "venue.update"]


async def test_window_numbers_kinds_and_posts(world):
    v = await centre(world)
    hall = await venues.create_venue(world, COUNTY, CODES["county"],
                                     NewVenue(VenueKind.SPECIALISED_HALL, "社保分厅"))
    a = await user(world, "county", "clerk-a")
    b = await user(world, "county", "clerk-b")
    w1 = await venues.create_window(world, COUNTY, v.id, NewWindow(
        "1", "综合受理窗口", holder_id=a, backup_id=b))
    assert (w1.kind, w1.tenant_path, w1.venue_id) == ("comprehensive", PATHS["county"], v.id)
    with pytest.raises(Conflict) as e:
        await venues.create_window(world, COUNTY, v.id, NewWindow(" 1 ", "重复"))
    assert e.value.code == "window.duplicate_number" and e.value.field == "number"
    other = await venues.create_window(world, COUNTY, hall.id, NewWindow("1", "社保 1 号"))
    assert other.number == "1"  # numbers are unique per venue only
    with pytest.raises(Invalid) as e:
        await venues.create_window(world, COUNTY, v.id, NewWindow("2", "公安专窗",
                                                                  kind=WindowKind.DEDICATED))
    assert e.value.code == "window.department_required" and e.value.field == "department"
    w2 = await venues.create_window(world, COUNTY, v.id, NewWindow(
        "2", "公安专窗", kind="dedicated", department="市公安局", chief_representative_id=a,
        holder_id=a))
    assert w2.chief_representative_id == a and w2.department == "市公安局"
    with pytest.raises(Invalid) as e:
        await venues.create_window(world, COUNTY, v.id, NewWindow("3", "x", holder_id=a,
                                                                  backup_id=a))
    assert e.value.code == "window.backup_is_holder" and e.value.field == "backup_id"
    with pytest.raises(Invalid) as e:
        await venues.create_window(world, COUNTY, v.id, NewWindow("", "x"))
    assert e.value.code == "window.number_required"
    with pytest.raises(Invalid) as e:
        await venues.create_window(world, COUNTY, v.id, NewWindow("4", "x", kind="vip"))
    assert e.value.code == "window.unknown_kind"
    # Updates: renumbering into a taken number, clearing the department of a dedicated window.
    with pytest.raises(Conflict):
        await venues.update_window(world, COUNTY, w2.id, WindowPatch(number="1"))
    with pytest.raises(Invalid):
        await venues.update_window(world, COUNTY, w2.id, WindowPatch(department=None))
    with pytest.raises(Invalid):
        await venues.update_window(world, COUNTY, w1.id, WindowPatch(backup_id=a))
    w1 = await venues.update_window(world, COUNTY, w1.id, WindowPatch(number="10", backup_id=None))
    assert (w1.number, w1.holder_id, w1.backup_id) == ("10", a, None)
    numbers = [w.number for w in await venues.list_windows(world, COUNTY, v.id)]
    assert numbers == ["2", "10"]  # natural order
    # A deactivated window keeps its number.
    await venues.deactivate_window(world, COUNTY, w1.id)
    assert [w.number for w in await venues.list_windows(world, COUNTY, v.id)] == ["2"]
    with pytest.raises(Conflict):
        await venues.create_window(world, COUNTY, v.id, NewWindow("10", "新窗口"))
    all_numbers = [w.number for w in await venues.list_windows(world, COUNTY, v.id,
                                                               include_inactive=True)]
    assert all_numbers == ["2", "10"]
    actions = (await world.scalars(select(AuditEntry.action).where(
        AuditEntry.target_type == "window").order_by(AuditEntry.id))).all()
    assert actions == ["window.create", "window.create", "window.create", "window.update",
                       "window.deactivate"]


async def test_window_staff_must_belong_to_the_venue(world):
    v = await centre(world)
    township_hall = await venues.create_venue(
        world, COUNTY, CODES["township"],
        NewVenue(VenueKind.CONVENIENCE_CENTRE, "方塘乡便民服务中心"))
    county_clerk = await user(world, "county", "county-clerk")
    township_clerk = await user(world, "township", "township-clerk")
    sibling_clerk = await user(world, "sibling_county", "sibling-clerk")
    city_staff = await user(world, "city", "city-staff")
    retired = await user(world, "county", "retired", active=False)
    device = await user(world, "county", "queue-machine", kind="device")
    # A township clerk (homed below) may staff the county centre.
    await venues.create_window(world, COUNTY, v.id,
                               NewWindow("1", "一号", holder_id=township_clerk))
    # A county clerk may staff the township centre only with a grant covering the township.
    with pytest.raises(Invalid) as e:
        await venues.create_window(world, COUNTY, township_hall.id,
                                   NewWindow("1", "一号", holder_id=county_clerk))
    assert e.value.code == "window.staff_not_eligible" and e.value.field == "holder_id"
    t = await tenant(world, "township")
    world.add(Grant(tenant_id=t.id, tenant_path=t.path, user_id=county_clerk,
                    role="window_clerk", subtree=False))
    await world.flush()
    await venues.create_window(world, COUNTY, township_hall.id,
                               NewWindow("1", "一号", holder_id=county_clerk))
    for uid, code in ((retired, "window.staff_inactive"), (device, "window.staff_inactive")):
        with pytest.raises(Invalid) as e:
            await venues.create_window(world, COUNTY, v.id, NewWindow("9", "x", backup_id=uid))
        assert e.value.code == code and e.value.field == "backup_id"
    # Users outside the principal's scope are not found, whether or not they exist.
    for uid in (sibling_clerk, city_staff, uuid.uuid4()):
        with pytest.raises(NotFound) as e:
            await venues.create_window(world, COUNTY, v.id,
                                       NewWindow("9", "x", chief_representative_id=uid))
        assert e.value.code == "user.not_found" and e.value.field == "chief_representative_id"
    # The operator sees everyone: a sibling's clerk is simply not eligible; a city staff
    # member with a subtree grant at the city is.
    with pytest.raises(Invalid):
        await venues.create_window(world, SYSTEM, v.id,
                                   NewWindow("9", "x", holder_id=sibling_clerk))
    city = await tenant(world, "city")
    world.add(Grant(tenant_id=city.id, tenant_path=city.path, user_id=city_staff,
                    role="approver", subtree=True))
    await world.flush()
    w = await venues.create_window(world, SYSTEM, v.id, NewWindow("9", "x", holder_id=city_staff))
    assert w.holder_id == city_staff


async def test_ab_post_takeover(world):
    v = await centre(world)
    a = await user(world, "county", "a-post")
    b = await user(world, "county", "b-post")
    w = await venues.create_window(world, COUNTY, v.id, NewWindow("1", "一号", holder_id=a,
                                                                  backup_id=b))
    clerk = at("county", "window_clerk")
    duty = await venues.on_duty(world, clerk, w.id)
    assert (duty.user_id, duty.post, duty.takeover) == (a, "holder", False)
    duty = await venues.on_duty(world, clerk, w.id, [a])
    assert (duty.user_id, duty.post, duty.takeover) == (b, "backup", True)
    duty = await venues.on_duty(world, clerk, w.id, {a, b})
    assert (duty.user_id, duty.post) == (None, None)
    # A deactivated holder counts as absent.
    holder = await world.get(User, a)
    holder.is_active = False
    await world.flush()
    duty = await venues.on_duty(world, clerk, w.id)
    assert (duty.user_id, duty.takeover) == (b, True)
    # No backup: nobody serves when the holder is away; an inactive window has nobody.
    w2 = await venues.create_window(world, COUNTY, v.id, NewWindow("2", "二号", holder_id=b))
    assert (await venues.on_duty(world, clerk, w2.id, [b])).user_id is None
    await venues.deactivate_window(world, COUNTY, w2.id)
    assert (await venues.on_duty(world, clerk, w2.id)).user_id is None


async def test_deactivate_venue_closes_its_windows(world):
    v = await centre(world)
    w = await venues.create_window(world, COUNTY, v.id, NewWindow("1", "一号"))
    await venues.deactivate_venue(world, COUNTY, v.id)
    assert not v.active and not (await venues.get_window(world, COUNTY, w.id)).active
    assert await venues.list_venues(world, COUNTY, CODES["county"]) == []
    assert [x.id for x in await venues.list_venues(world, COUNTY, CODES["county"],
                                                   include_inactive=True)] == [v.id]
    with pytest.raises(Conflict) as e:
        await venues.create_window(world, COUNTY, v.id, NewWindow("2", "二号"))
    assert e.value.code == "venue.inactive"
    with pytest.raises(Conflict):
        await venues.reactivate_window(world, COUNTY, w.id)
    await venues.reactivate_venue(world, COUNTY, v.id)
    assert v.active and not (await venues.get_window(world, COUNTY, w.id)).active
    assert (await venues.reactivate_window(world, COUNTY, w.id)).active
    entry = await world.scalar(select(AuditEntry).where(AuditEntry.action == "venue.deactivate"))
    assert entry.after["windows_deactivated"] == 1 and entry.before["active"] is True


async def test_list_venues_of_a_subtree_is_scoped(world, sessionmaker):
    await centre(world)
    await venues.create_venue(world, SYSTEM, CODES["township"],
                              NewVenue(VenueKind.CONVENIENCE_CENTRE, "方塘乡便民服务中心"))
    await venues.create_venue(world, SYSTEM, CODES["village"],
                              NewVenue(VenueKind.AGENT_POINT, "方塘村代办点"))
    await venues.create_venue(world, SYSTEM, CODES["sibling_county"],
                              NewVenue(VenueKind.SERVICE_CENTRE, "宣州区政务服务中心"))
    await venues.create_venue(world, SYSTEM, CODES["city"],
                              NewVenue(VenueKind.SERVICE_CENTRE, "宣城市政务服务中心"))
    await world.commit()
    async with acting(sessionmaker, COUNTY) as s:
        own = await venues.list_venues(s, COUNTY, CODES["county"])
        assert [v.name for v in own] == ["宁国市政务服务中心"]
        below = await venues.list_venues(s, COUNTY, CODES["county"], subtree=True)
        assert [v.name for v in below] == ["宁国市政务服务中心", "方塘乡便民服务中心",
                                           "方塘村代办点"]
        points = await venues.list_venues(s, COUNTY, CODES["county"], subtree=True,
                                          kind=VenueKind.AGENT_POINT)
        assert [v.name for v in points] == ["方塘村代办点"]
    township = at("township", "window_clerk")
    async with acting(sessionmaker, township) as s:
        names = [v.name for v in await venues.list_venues(s, township, CODES["township"],
                                                           subtree=True)]
        assert names == ["方塘乡便民服务中心", "方塘村代办点"]
        with pytest.raises(PermissionDenied):  # an upper tier's venues are not listed below
            await venues.list_venues(s, township, CODES["county"])


async def test_siblings_never_see_or_touch_venues_and_windows(world, sessionmaker):
    v = await centre(world)
    w = await venues.create_window(world, COUNTY, v.id, NewWindow("1", "一号"))
    await world.commit()
    intruders = [at("sibling_county", "county_admin"), at("other_county", "county_admin"),
                 at("township", "window_clerk"), at("sibling_township", "window_clerk")]
    for who in intruders:
        async with acting(sessionmaker, who) as s:
            with pytest.raises(NotFound) as e:
                await venues.get_venue(s, who, v.id)
            assert e.value.code == "venue.not_found"
            missing = await _not_found_code(venues.get_venue(s, who, uuid.uuid4()))
            assert missing == e.value.code  # missing and not-yours look the same
            for call in (venues.update_venue(s, who, v.id, VenuePatch(name="x")),
                         venues.deactivate_venue(s, who, v.id),
                         venues.list_windows(s, who, v.id),
                         venues.create_window(s, who, v.id, NewWindow("2", "x"))):
                assert await _not_found_code(call) == "venue.not_found"
            for call in (venues.get_window(s, who, w.id),
                         venues.update_window(s, who, w.id, WindowPatch(name="x")),
                         venues.deactivate_window(s, who, w.id),
                         venues.on_duty(s, who, w.id)):
                assert await _not_found_code(call) == "window.not_found"
    sibling = intruders[0]
    async with acting(sessionmaker, sibling) as s:
        with pytest.raises(NotFound) as e:
            await venues.list_venues(s, sibling, CODES["county"])
        assert e.value.code == "tenant.not_found"
        with pytest.raises(NotFound):
            await venues.create_venue(s, sibling, CODES["county"],
                                      NewVenue(VenueKind.SERVICE_CENTRE, "冒名中心"))
    # Upper tiers see down; read-only staff may read but not write.
    city = at("city", "city_admin")
    async with acting(sessionmaker, city) as s:
        assert (await venues.get_venue(s, city, v.id)).name == "宁国市政务服务中心"
        await venues.update_venue(s, city, v.id, VenuePatch(phone="0563-2"))
        await s.commit()
    clerk = at("county", "window_clerk")
    async with acting(sessionmaker, clerk) as s:
        assert (await venues.get_window(s, clerk, w.id)).number == "1"
        with pytest.raises(PermissionDenied):
            await venues.update_venue(s, clerk, v.id, VenuePatch(name="改名"))
        with pytest.raises(PermissionDenied):
            await venues.create_window(s, clerk, v.id, NewWindow("2", "x"))
        with pytest.raises(PermissionDenied):
            await venues.create_venue(s, clerk, CODES["county"],
                                      NewVenue(VenueKind.SPECIALISED_HALL, "x"))
    assert (await world.get(type(v), v.id, populate_existing=True)).name == "宁国市政务服务中心"


async def _not_found_code(awaitable) -> str:
    try:
        await awaitable
    except NotFound as exc:
        return exc.code
    raise AssertionError("expected NotFound")


async def test_keep_is_the_default_of_patches():
    assert VenuePatch().name is KEEP and WindowPatch().holder_id is KEEP
