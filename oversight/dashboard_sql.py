"""PostgreSQL functions and triggers that keep the MAS dashboard's figure tables
(``oversight.models``: CaseKommun, DeadlineFigure, InvitationFigure, DischargeFigure)
current in the transaction of every change that alters a figure.

A case is in a kommun's scope when it has a party (``coordination_processparty``) at an
organisation on the kommun's side (huvudman KOMMUN, or PRIVATE acting for KOMMUN) whose
area is the kommun or one of its districts, and it is not withdrawn: the same rule as
``oversight.dashboard.Scope.cases`` for the kommun's default view.

What fires what:

- a deadline inserted, deleted or changed in a column the figures read → that deadline's
  rows (the sweep's reminder rungs change none of them and fire nothing);
- an invitation or a meeting's ``held_at`` → that invitation's or meeting's rows;
- a discharge's ready/discharged times → its row; a withdrawal of a discharge or a SIP,
  a party added or removed, an organisation's area or huvudman changed, an area moved
  → every row of the cases concerned (membership first, then their figures).

Only ``oversight`` reads these tables; the source apps know nothing of them. The
functions run with generic plans (``plan_cache_mode``): planning the statements anew for
every row would cost several times their execution.
``oversight_rebuild_dashboard_figures()`` fills everything again from scratch
(``manage.py rebuild_dashboard_figures`` and the migration that creates them).
"""

from workflows.discharge.models import DischargeUnit, Stage, UnitRole

# The case ids in scope of each kommun: the membership rule, restricted by a condition
# on the party rows (``pp``).
_MEMBERSHIP = """
    SELECT DISTINCT k.kommun_id, pp.process_id
    FROM coordination_processparty pp
    JOIN coordination_organisation o ON o.id = pp.organisation_id
    JOIN coordination_area a ON a.id = o.area_id
    CROSS JOIN LATERAL (VALUES (a.id), (a.parent_id)) AS k(kommun_id)
    WHERE {where}
      AND k.kommun_id IS NOT NULL
      AND (o.huvudman = 'KOMMUN' OR (o.huvudman = 'PRIVATE' AND o.acting_for = 'KOMMUN'))
      AND NOT EXISTS (SELECT 1 FROM discharge_dischargeprocess w
                      WHERE w.process_ptr_id = pp.process_id AND w.withdrawn_at IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM sip_sipprocess w
                      WHERE w.process_ptr_id = pp.process_id AND w.withdrawn_at IS NOT NULL)
"""

_DEADLINES = """
    INSERT INTO oversight_deadlinefigure (kommun_id, process_id, deadline_id, kind,
        responsible_organisation_id, due_at, status, met_at, breached_at)
    SELECT ck.kommun_id, d.process_id, d.id, d.kind, d.responsible_organisation_id,
           d.due_at, d.status, d.met_at, d.breached_at
    FROM workflows_deadline d
    JOIN oversight_casekommun ck ON ck.process_id = d.process_id
    WHERE {where}
    ON CONFLICT (kommun_id, deadline_id) DO UPDATE SET
        process_id = EXCLUDED.process_id, kind = EXCLUDED.kind,
        responsible_organisation_id = EXCLUDED.responsible_organisation_id,
        due_at = EXCLUDED.due_at, status = EXCLUDED.status, met_at = EXCLUDED.met_at,
        breached_at = EXCLUDED.breached_at
"""

_INVITATIONS = """
    INSERT INTO oversight_invitationfigure (kommun_id, process_id, invitation_id, meeting_id,
        organisation_id, sent_at, held_at, attendance)
    SELECT ck.kommun_id, m.sip_id, i.id, m.id, i.organisation_id, i.sent_at, m.held_at,
           i.attendance
    FROM sip_invitation i
    JOIN sip_meeting m ON m.id = i.meeting_id
    JOIN oversight_casekommun ck ON ck.process_id = m.sip_id
    WHERE {where} AND i.kind = 'ORGANISATION' AND i.organisation_id IS NOT NULL
    ON CONFLICT (kommun_id, invitation_id) DO UPDATE SET
        process_id = EXCLUDED.process_id, meeting_id = EXCLUDED.meeting_id,
        organisation_id = EXCLUDED.organisation_id, sent_at = EXCLUDED.sent_at,
        held_at = EXCLUDED.held_at, attendance = EXCLUDED.attendance
"""

_DISCHARGES = """
    INSERT INTO oversight_dischargefigure (kommun_id, process_id, ready_for_discharge_at,
        discharged_at)
    SELECT ck.kommun_id, d.process_ptr_id, d.ready_for_discharge_at, d.discharged_at
    FROM discharge_dischargeprocess d
    JOIN oversight_casekommun ck ON ck.process_id = d.process_ptr_id
    WHERE {where} AND d.ready_for_discharge_at IS NOT NULL AND d.discharged_at IS NOT NULL
    ON CONFLICT (kommun_id, process_id) DO UPDATE SET
        ready_for_discharge_at = EXCLUDED.ready_for_discharge_at,
        discharged_at = EXCLUDED.discharged_at
"""

# The payment indicators' episode of a discharge (``oversight.selectors``): discharged,
# not for öppen tvångsvård, with its notice in force, and the unit that pays.
_EPISODES = f"""
    INSERT INTO oversight_episodefigure (process_id, paying_organisation_id, care_type,
        discharged_at, recorded_at)
    SELECT DISTINCT ON (d.process_ptr_id)
           d.process_ptr_id, u.organisation_id, d.care_type, d.discharged_at, n.recorded_at
    FROM discharge_dischargeprocess d
    JOIN discharge_readyfordischargenotice n
         ON n.process_id = d.process_ptr_id AND n.revoked_at IS NULL
    JOIN discharge_dischargeunit u ON u.process_id = d.process_ptr_id
         AND u.role IN ('{UnitRole.SOCIALTJANST}', '{UnitRole.KOMMUNAL_HSV}')
         AND u.superseded_at IS NULL
         AND u.ack_state <> '{DischargeUnit.AckState.REJECTED_NOT_RESIDENT}'
    WHERE {{where}} AND d.stage = '{Stage.DISCHARGED}'
      AND NOT d.leaves_for_open_compulsory_care AND d.discharged_at IS NOT NULL
    ORDER BY d.process_ptr_id, u.role <> '{UnitRole.SOCIALTJANST}', u.notified_at, u.id
    ON CONFLICT (process_id) DO UPDATE SET
        paying_organisation_id = EXCLUDED.paying_organisation_id,
        care_type = EXCLUDED.care_type, discharged_at = EXCLUDED.discharged_at,
        recorded_at = EXCLUDED.recorded_at
"""  # noqa: S608

# Constant SQL built from the fragments above (no input reaches it).
FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION oversight_refresh_cases(ids bigint[]) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    -- Membership first, then every figure row of these cases.
    DELETE FROM oversight_casekommun ck WHERE ck.process_id = ANY(ids)
      AND NOT EXISTS ({_MEMBERSHIP.format(where="pp.process_id = ck.process_id")}
                      AND k.kommun_id = ck.kommun_id);
    INSERT INTO oversight_casekommun (kommun_id, process_id)
    {_MEMBERSHIP.format(where="pp.process_id = ANY(ids)")}
    ON CONFLICT (kommun_id, process_id) DO NOTHING;

    DELETE FROM oversight_deadlinefigure f WHERE f.process_id = ANY(ids);
    {_DEADLINES.format(where="d.process_id = ANY(ids)")};
    DELETE FROM oversight_invitationfigure f WHERE f.process_id = ANY(ids);
    {_INVITATIONS.format(where="m.sip_id = ANY(ids)")};
    DELETE FROM oversight_dischargefigure f WHERE f.process_id = ANY(ids);
    {_DISCHARGES.format(where="d.process_ptr_id = ANY(ids)")};
END $$;

CREATE OR REPLACE FUNCTION oversight_rebuild_dashboard_figures() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE oversight_casekommun, oversight_deadlinefigure, oversight_invitationfigure,
        oversight_dischargefigure, oversight_episodefigure;
    INSERT INTO oversight_casekommun (kommun_id, process_id)
    {_MEMBERSHIP.format(where="TRUE")};
    {_DEADLINES.format(where="TRUE")};
    {_INVITATIONS.format(where="TRUE")};
    {_DISCHARGES.format(where="TRUE")};
    {_EPISODES.format(where="TRUE")};
END $$;

CREATE OR REPLACE FUNCTION oversight_episode_changed() RETURNS trigger
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    ids bigint[];
BEGIN
    -- A discharge (process_ptr_id), its notice or one of its units (process_id).
    IF TG_TABLE_NAME = 'discharge_dischargeprocess' THEN
        ids := ARRAY[CASE WHEN TG_OP = 'DELETE' THEN OLD.process_ptr_id
                          ELSE NEW.process_ptr_id END];
    ELSIF TG_OP = 'DELETE' THEN
        ids := ARRAY[OLD.process_id];
    ELSIF TG_OP = 'UPDATE' THEN
        ids := ARRAY[OLD.process_id, NEW.process_id];
    ELSE
        ids := ARRAY[NEW.process_id];
    END IF;
    DELETE FROM oversight_episodefigure WHERE process_id = ANY(ids);
    {_EPISODES.format(where="d.process_ptr_id = ANY(ids)")};
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION oversight_deadline_changed() RETURNS trigger
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM oversight_deadlinefigure WHERE deadline_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {_DEADLINES.format(where="d.id = NEW.id")};
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION oversight_invitation_changed() RETURNS trigger
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM oversight_invitationfigure WHERE invitation_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {_INVITATIONS.format(where="i.id = NEW.id")};
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION oversight_meeting_changed() RETURNS trigger
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    DELETE FROM oversight_invitationfigure WHERE meeting_id = OLD.id;
    IF TG_OP <> 'DELETE' THEN
        {_INVITATIONS.format(where="m.id = NEW.id")};
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION oversight_discharge_changed() RETURNS trigger
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.withdrawn_at IS DISTINCT FROM NEW.withdrawn_at THEN
        PERFORM oversight_refresh_cases(ARRAY[NEW.process_ptr_id]);
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM oversight_dischargefigure WHERE process_id = OLD.process_ptr_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {_DISCHARGES.format(where="d.process_ptr_id = NEW.process_ptr_id")};
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION oversight_case_changed() RETURNS trigger
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    -- A party (process_id) or a SIP (process_ptr_id) of a case.
    IF TG_TABLE_NAME = 'coordination_processparty' THEN
        -- A new party that brings the case into no new kommun (a region unit, or a
        -- kommun already counting the case) changes nothing: most parties added.
        IF TG_OP = 'INSERT' AND NOT EXISTS (
            SELECT 1
            FROM coordination_organisation o
            JOIN coordination_area a ON a.id = o.area_id
            CROSS JOIN LATERAL (VALUES (a.id), (a.parent_id)) AS k(kommun_id)
            WHERE o.id = NEW.organisation_id AND k.kommun_id IS NOT NULL
              AND (o.huvudman = 'KOMMUN' OR (o.huvudman = 'PRIVATE' AND o.acting_for = 'KOMMUN'))
              AND NOT EXISTS (SELECT 1 FROM oversight_casekommun ck
                              WHERE ck.process_id = NEW.process_id
                                AND ck.kommun_id = k.kommun_id)
        ) THEN
            RETURN NULL;
        END IF;
        IF TG_OP = 'DELETE' THEN
            PERFORM oversight_refresh_cases(ARRAY[OLD.process_id]);
        ELSIF TG_OP = 'UPDATE' THEN
            PERFORM oversight_refresh_cases(ARRAY[OLD.process_id, NEW.process_id]);
        ELSE
            PERFORM oversight_refresh_cases(ARRAY[NEW.process_id]);
        END IF;
    ELSE
        PERFORM oversight_refresh_cases(ARRAY[NEW.process_ptr_id]);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION oversight_organisation_changed() RETURNS trigger
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    PERFORM oversight_refresh_cases(ARRAY(
        SELECT DISTINCT process_id FROM coordination_processparty
        WHERE organisation_id = NEW.id));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION oversight_area_changed() RETURNS trigger
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    PERFORM oversight_refresh_cases(ARRAY(
        SELECT DISTINCT pp.process_id FROM coordination_processparty pp
        JOIN coordination_organisation o ON o.id = pp.organisation_id
        JOIN coordination_area a ON a.id = o.area_id
        WHERE a.id = NEW.id OR a.parent_id = NEW.id));
    RETURN NULL;
END $$;
"""  # noqa: S608

TRIGGERS = """
CREATE TRIGGER oversight_figures_deadline AFTER INSERT OR DELETE ON workflows_deadline
    FOR EACH ROW EXECUTE FUNCTION oversight_deadline_changed();
CREATE TRIGGER oversight_figures_deadline_update AFTER UPDATE ON workflows_deadline
    FOR EACH ROW WHEN (
        OLD.status IS DISTINCT FROM NEW.status OR OLD.due_at IS DISTINCT FROM NEW.due_at
        OR OLD.met_at IS DISTINCT FROM NEW.met_at
        OR OLD.breached_at IS DISTINCT FROM NEW.breached_at
        OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.process_id IS DISTINCT FROM NEW.process_id
        OR OLD.responsible_organisation_id IS DISTINCT FROM NEW.responsible_organisation_id)
    EXECUTE FUNCTION oversight_deadline_changed();

CREATE TRIGGER oversight_figures_invitation AFTER INSERT OR DELETE ON sip_invitation
    FOR EACH ROW EXECUTE FUNCTION oversight_invitation_changed();
CREATE TRIGGER oversight_figures_invitation_update AFTER UPDATE ON sip_invitation
    FOR EACH ROW WHEN (
        OLD.kind IS DISTINCT FROM NEW.kind OR OLD.sent_at IS DISTINCT FROM NEW.sent_at
        OR OLD.attendance IS DISTINCT FROM NEW.attendance
        OR OLD.organisation_id IS DISTINCT FROM NEW.organisation_id
        OR OLD.meeting_id IS DISTINCT FROM NEW.meeting_id)
    EXECUTE FUNCTION oversight_invitation_changed();

CREATE TRIGGER oversight_figures_meeting AFTER DELETE ON sip_meeting
    FOR EACH ROW EXECUTE FUNCTION oversight_meeting_changed();
CREATE TRIGGER oversight_figures_meeting_update AFTER UPDATE ON sip_meeting
    FOR EACH ROW WHEN (
        OLD.held_at IS DISTINCT FROM NEW.held_at OR OLD.sip_id IS DISTINCT FROM NEW.sip_id)
    EXECUTE FUNCTION oversight_meeting_changed();

CREATE TRIGGER oversight_figures_discharge AFTER INSERT OR DELETE
    ON discharge_dischargeprocess
    FOR EACH ROW EXECUTE FUNCTION oversight_discharge_changed();
CREATE TRIGGER oversight_figures_discharge_update AFTER UPDATE ON discharge_dischargeprocess
    FOR EACH ROW WHEN (
        OLD.ready_for_discharge_at IS DISTINCT FROM NEW.ready_for_discharge_at
        OR OLD.discharged_at IS DISTINCT FROM NEW.discharged_at
        OR OLD.withdrawn_at IS DISTINCT FROM NEW.withdrawn_at)
    EXECUTE FUNCTION oversight_discharge_changed();

CREATE TRIGGER oversight_episode_discharge AFTER INSERT OR DELETE
    ON discharge_dischargeprocess
    FOR EACH ROW EXECUTE FUNCTION oversight_episode_changed();
CREATE TRIGGER oversight_episode_discharge_update AFTER UPDATE ON discharge_dischargeprocess
    FOR EACH ROW WHEN (
        OLD.stage IS DISTINCT FROM NEW.stage
        OR OLD.discharged_at IS DISTINCT FROM NEW.discharged_at
        OR OLD.care_type IS DISTINCT FROM NEW.care_type
        OR OLD.leaves_for_open_compulsory_care
           IS DISTINCT FROM NEW.leaves_for_open_compulsory_care)
    EXECUTE FUNCTION oversight_episode_changed();
CREATE TRIGGER oversight_episode_notice AFTER INSERT OR DELETE
    ON discharge_readyfordischargenotice
    FOR EACH ROW EXECUTE FUNCTION oversight_episode_changed();
CREATE TRIGGER oversight_episode_notice_update AFTER UPDATE
    ON discharge_readyfordischargenotice
    FOR EACH ROW WHEN (
        OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
        OR OLD.recorded_at IS DISTINCT FROM NEW.recorded_at
        OR OLD.process_id IS DISTINCT FROM NEW.process_id)
    EXECUTE FUNCTION oversight_episode_changed();
CREATE TRIGGER oversight_episode_unit AFTER INSERT OR DELETE ON discharge_dischargeunit
    FOR EACH ROW EXECUTE FUNCTION oversight_episode_changed();
CREATE TRIGGER oversight_episode_unit_update AFTER UPDATE ON discharge_dischargeunit
    FOR EACH ROW WHEN (
        OLD.role IS DISTINCT FROM NEW.role OR OLD.superseded_at IS DISTINCT FROM NEW.superseded_at
        OR OLD.ack_state IS DISTINCT FROM NEW.ack_state
        OR OLD.notified_at IS DISTINCT FROM NEW.notified_at
        OR OLD.organisation_id IS DISTINCT FROM NEW.organisation_id
        OR OLD.process_id IS DISTINCT FROM NEW.process_id)
    EXECUTE FUNCTION oversight_episode_changed();

CREATE TRIGGER oversight_figures_sip_update AFTER UPDATE ON sip_sipprocess
    FOR EACH ROW WHEN (OLD.withdrawn_at IS DISTINCT FROM NEW.withdrawn_at)
    EXECUTE FUNCTION oversight_case_changed();

CREATE TRIGGER oversight_figures_party AFTER INSERT OR UPDATE OR DELETE
    ON coordination_processparty
    FOR EACH ROW EXECUTE FUNCTION oversight_case_changed();

CREATE TRIGGER oversight_figures_organisation AFTER UPDATE ON coordination_organisation
    FOR EACH ROW WHEN (
        OLD.area_id IS DISTINCT FROM NEW.area_id OR OLD.huvudman IS DISTINCT FROM NEW.huvudman
        OR OLD.acting_for IS DISTINCT FROM NEW.acting_for)
    EXECUTE FUNCTION oversight_organisation_changed();

CREATE TRIGGER oversight_figures_area AFTER UPDATE ON coordination_area
    FOR EACH ROW WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id)
    EXECUTE FUNCTION oversight_area_changed();
"""

DROP = """
DROP TRIGGER IF EXISTS oversight_figures_deadline ON workflows_deadline;
DROP TRIGGER IF EXISTS oversight_figures_deadline_update ON workflows_deadline;
DROP TRIGGER IF EXISTS oversight_figures_invitation ON sip_invitation;
DROP TRIGGER IF EXISTS oversight_figures_invitation_update ON sip_invitation;
DROP TRIGGER IF EXISTS oversight_figures_meeting ON sip_meeting;
DROP TRIGGER IF EXISTS oversight_figures_meeting_update ON sip_meeting;
DROP TRIGGER IF EXISTS oversight_figures_discharge ON discharge_dischargeprocess;
DROP TRIGGER IF EXISTS oversight_figures_discharge_update ON discharge_dischargeprocess;
DROP TRIGGER IF EXISTS oversight_figures_sip_update ON sip_sipprocess;
DROP TRIGGER IF EXISTS oversight_episode_discharge ON discharge_dischargeprocess;
DROP TRIGGER IF EXISTS oversight_episode_discharge_update ON discharge_dischargeprocess;
DROP TRIGGER IF EXISTS oversight_episode_notice ON discharge_readyfordischargenotice;
DROP TRIGGER IF EXISTS oversight_episode_notice_update ON discharge_readyfordischargenotice;
DROP TRIGGER IF EXISTS oversight_episode_unit ON discharge_dischargeunit;
DROP TRIGGER IF EXISTS oversight_episode_unit_update ON discharge_dischargeunit;
DROP TRIGGER IF EXISTS oversight_figures_party ON coordination_processparty;
DROP TRIGGER IF EXISTS oversight_figures_organisation ON coordination_organisation;
DROP TRIGGER IF EXISTS oversight_figures_area ON coordination_area;
DROP FUNCTION IF EXISTS oversight_episode_changed();
DROP FUNCTION IF EXISTS oversight_area_changed();
DROP FUNCTION IF EXISTS oversight_organisation_changed();
DROP FUNCTION IF EXISTS oversight_case_changed();
DROP FUNCTION IF EXISTS oversight_discharge_changed();
DROP FUNCTION IF EXISTS oversight_meeting_changed();
DROP FUNCTION IF EXISTS oversight_invitation_changed();
DROP FUNCTION IF EXISTS oversight_deadline_changed();
DROP FUNCTION IF EXISTS oversight_rebuild_dashboard_figures();
DROP FUNCTION IF EXISTS oversight_refresh_cases(bigint[]);
"""


def install(schema_editor) -> None:
    """Create the functions and triggers and fill the tables (PostgreSQL only)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS)
    schema_editor.execute(TRIGGERS)
    schema_editor.execute("SELECT oversight_rebuild_dashboard_figures()")


def uninstall(schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP)


TABLES = (
    "oversight_casekommun",
    "oversight_deadlinefigure",
    "oversight_invitationfigure",
    "oversight_dischargefigure",
    "oversight_episodefigure",
)


def rebuild(connection) -> None:
    """Fill the figure tables again from the source rows."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT oversight_rebuild_dashboard_figures()")


def vacuum(connection) -> None:
    """Statistics and visibility map of the figure tables after a rebuild (the page
    reads them through index-only scans); outside a transaction."""
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {', '.join(TABLES)}")
