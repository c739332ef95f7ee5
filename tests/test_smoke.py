from tests import factories


def test_a_rep_lists_only_accounts_of_their_unit(org, api):
    rep = factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"])
    other = factories.user("other", unit=org["milan"], roles=["Sales Representative"])
    mine = factories.account(rep, name="Mine")
    factories.account(other, name="Theirs")
    response = api(rep).get("/api/v1/accounts")
    assert response.status_code == 200, response.content
    assert [item["name"] for item in response.json()["items"]] == [mine.name]
