"""The home page is the viewer's dashboard: switcher, filters, charts, drill-down lists."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.analytics.conftest import WINDOW, login
from trellis.analytics.selectors import Figure
from trellis.analytics.templatetags.analytics_charts import chart

pytestmark = pytest.mark.django_db

HOME = "/"


def page(user, **params):
    return login(user).get(HOME, {**WINDOW, **params})


def records(user, kind, figure, **params):
    url = reverse("web:analytics_records", args=[kind, figure])
    return login(user).get(url, {**WINDOW, **params})


def test_the_home_page_asks_anonymous_visitors_to_sign_in(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_home_url_keeps_its_name():
    assert reverse("web:home") == HOME


def test_a_sales_rep_lands_on_their_own_sales_dashboard(people, data):
    response = page(people.rep_j)
    assert response.context["board"].kind == "sales_rep"
    assert "Jakarta open" not in response.content.decode()  # figures, not a record list
    assert "1,000" in response.content.decode()


def test_another_sales_rep_sees_their_own_numbers_on_the_home_page(people, data):
    body = page(people.rep_s).content.decode()
    assert "2,000" in body
    assert "1,000" not in body


def test_a_sales_manager_lands_on_the_team_dashboard(people, data):
    assert page(people.manager_j).context["board"].kind == "sales_manager"


def test_the_sales_team_dashboard_of_a_sibling_unit_shows_other_reps(people, data):
    jakarta = page(people.manager_j).content.decode()
    shanghai = page(people.manager_s).content.decode()
    assert "rep_j" in jakarta and "rep_s" not in jakarta
    assert "rep_s" in shanghai and "rep_j" not in shanghai


def test_a_service_rep_sees_their_ranking_on_the_home_page(people, data):
    body = page(people.agent_j).content.decode()
    assert "agent_j (you)" in body
    assert "agent_s" not in body


def test_a_service_rep_of_another_unit_sees_other_peers(people, data):
    body = page(people.agent_s).content.decode()
    assert "agent_s (you)" in body
    assert "agent_j" not in body


def test_service_managers_of_sibling_units_see_their_own_agents(people, data):
    jakarta = page(people.service_j).content.decode()
    shanghai = page(people.service_s).content.decode()
    assert "agent_j2" in jakarta and "agent_s" not in jakarta
    assert "agent_s" in shanghai and "agent_j" not in shanghai


def test_marketers_of_sibling_units_see_their_own_campaigns(people, data):
    jakarta = page(people.marketer_j).content.decode()
    shanghai = page(people.marketer_s).content.decode()
    assert "Jakarta fair" in jakarta and "Shanghai mail" not in jakarta
    assert "Shanghai mail" in shanghai and "Jakarta fair" not in shanghai


def test_product_managers_see_the_products_their_reach_covers(people, data):
    everything = page(people.product_manager).content.decode()
    jakarta = page(people.product_manager_j).content.decode()
    assert "Valve" in everything
    assert "Pump" in jakarta and "Valve" not in jakarta


def test_analysts_see_the_totals_of_their_reach(people, data):
    everything = page(people.analyst).content.decode()
    shanghai = page(people.analyst_s).content.decode()
    assert "3,000" in everything
    assert "2,000" in shanghai and "3,000" not in shanghai


def test_the_executive_sees_the_organization_dashboard(people, data):
    response = page(people.executive)
    assert response.context["board"].kind == "executive"
    assert "3,000" in response.content.decode()


def test_a_sales_manager_asking_for_the_executive_dashboard_gets_an_error(people, data):
    response = page(people.manager_j, dashboard="executive")
    assert response.status_code == 400
    assert "board" not in response.context


def test_the_switcher_offers_each_dashboard_of_a_team_leader(org):
    from tests import factories

    leader = factories.user("leader", unit=org["jakarta"], roles=["Team Leader"])
    body = page(leader).content.decode()
    assert 'href="?dashboard=sales_manager"' in body
    assert 'href="?dashboard=service_manager"' in body


def test_the_switcher_opens_the_other_dashboard(org):
    from tests import factories

    leader = factories.user("leader", unit=org["jakarta"], roles=["Team Leader"])
    assert page(leader, dashboard="service_manager").context["board"].kind == "service_manager"


def test_the_dashboard_draws_charts_as_svg(people, data):
    assert '<svg class="chart"' in page(people.manager_j).content.decode()


def test_the_dashboard_links_to_its_csv(people, data):
    body = page(people.manager_j).content.decode()
    assert "/api/v1/analytics/dashboards/sales_manager?" in body
    assert "format=csv" in body


def test_a_bad_filter_is_shown_instead_of_failing(people):
    response = page(people.manager_j, period="decade")
    assert response.status_code == 400
    assert "period: must be one of" in response.content.decode()


def test_each_figure_row_links_to_the_records_behind_it(people, data):
    body = page(people.manager_j).content.decode()
    assert "/dashboard/sales_manager/records/open_opportunities/?" in body


def test_the_drill_down_page_lists_the_records_of_the_managers_unit(people, data):
    body = records(people.manager_j, "sales_manager", "open_opportunities").content.decode()
    assert "Jakarta open" in body
    assert "Shanghai open" not in body


def test_the_drill_down_page_of_the_sibling_manager_lists_their_records(people, data):
    body = records(people.manager_s, "sales_manager", "open_opportunities").content.decode()
    assert "Shanghai open" in body
    assert "Jakarta open" not in body


def test_the_drill_down_page_narrows_to_the_rows_group(people, data):
    body = records(
        people.executive, "executive", "open_opportunities", stage="negotiation"
    ).content.decode()
    assert "Shanghai open" in body
    assert "Jakarta open" not in body


def test_the_drill_down_of_breached_cases_lists_only_breached_ones(people, data):
    body = records(people.service_s, "service_manager", "breached_cases").content.decode()
    assert "Breached" in body
    assert "Valve stuck" not in body


def test_a_drill_down_of_an_unknown_figure_is_not_found(people):
    assert records(people.executive, "executive", "everything").status_code == 404


def test_a_drill_down_of_a_dashboard_the_viewer_lacks_is_not_found(people, data):
    response = records(people.rep_j, "executive", "open_opportunities")
    assert response.status_code == 404


def test_chart_labels_are_escaped():
    figure = Figure(
        "x", "t", "bars", [("label", ""), ("n", "N")], [{"label": "<b>x</b>", "n": 1}], values=["n"]
    )
    svg = str(chart(figure))
    assert "<b>" not in svg
    assert "&lt;b&gt;x&lt;/b&gt;" in svg


def test_long_chart_labels_are_shortened_with_the_full_text_as_a_tooltip():
    name = "A very long campaign name that does not fit"
    figure = Figure(
        "x", "t", "bars", [("label", ""), ("n", "N")], [{"label": name, "n": 1}], values=["n"]
    )
    svg = str(chart(figure))
    assert f"<title>{name}</title>" in svg
    assert "A very long campaign name…" in svg


def test_stacked_line_and_funnel_charts_draw(people, data):
    body = page(people.manager_j).content.decode() + page(people.service_j).content.decode()
    assert "<polyline" in body  # the satisfaction trend
    assert 'rx="3"' in body  # the pipeline funnel


def test_a_drill_down_value_with_a_nul_character_is_refused(people, data):
    response = records(people.executive, "executive", "open_opportunities", stage="won\x00")
    assert response.status_code == 400


def test_a_date_in_a_far_off_year_is_refused_instead_of_overflowing(people):
    response = page(people.executive, period="year", start="9999-12-31")
    assert response.status_code == 400
    assert "start: must be between the years 1900 and 9000" in response.content.decode()


def test_an_id_written_in_unusual_digits_is_refused(people):
    response = page(people.executive, unit_id="²")
    assert response.status_code == 400
