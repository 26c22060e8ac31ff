"""Private reports stay between their author and the staff; public texts are masked everywhere."""

from tests.factories import auth_headers, file_report, new_uid, staff_headers

PRIVATE = "Ổ gà rất to trước nhà tôi trên phố Hàng Bài, xe máy ngã liên tục"
PUBLIC = "Ổ gà rất to giữa phố Hàng Bài, xe máy ngã liên tục, gọi 0912.345.678, xe 29A-123.45 đỗ đè"
MASKED = "Ổ gà rất to giữa phố Hàng Bài, xe máy ngã liên tục, gọi ***, xe *** đỗ đè"


def test_a_private_report_is_in_no_public_view_but_its_author_and_staff_see_it(client):
    author = new_uid()
    private = file_report(client, PRIVATE, uid=author, visibility="private")
    assert client.get(f"/v1/reports/{private['id']}", headers=auth_headers(author)).json()["visibility"] == "private"
    assert client.get(f"/v1/reports/{private['id']}", headers=staff_headers("triage_officer")).status_code == 200
    assert client.get(f"/v1/reports/{private['id']}", headers=auth_headers(new_uid())).status_code == 404
    assert private["code"] not in client.get("/open311/v2/requests.json").text
    assert client.get(f"/open311/v2/requests.json?service_request_id={private['code']}").json() == []
    assert client.get(f"/open311/v2/requests/{private['code']}.json").status_code == 404
    assert client.get(f"/open311/v2/tokens/{private['id']}.json").status_code == 404
    neighbour = file_report(client, PRIVATE)  # same spot, same words: the private one is not offered
    assert neighbour["possible_duplicates"] == []


def test_public_texts_are_masked_in_open311_and_duplicate_offers_but_whole_for_staff(client):
    public = file_report(client, PUBLIC)
    [listed] = client.get(f"/open311/v2/requests/{public['code']}.json").json()
    assert listed["description"] == MASKED
    repeat = file_report(client, PUBLIC)
    [offered] = repeat["possible_duplicates"]
    assert offered["code"] == public["code"] and offered["description"] == MASKED
    staff = client.get(f"/v1/reports/{public['id']}", headers=staff_headers("triage_officer")).json()
    assert staff["description"] == PUBLIC
    assert (
        client.get(f"/v1/reports/{public['id']}", headers=auth_headers(public["_author"])).json()["description"]
        == PUBLIC
    )


def test_visibility_is_public_or_private(client):
    response = client.post(
        "/v1/reports",
        data={"description": PRIVATE, "lat": "21.0285", "lng": "105.8542", "visibility": "friends"},
        headers=auth_headers(new_uid()),
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "visibility"
