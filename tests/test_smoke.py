def test_submitted_paste_reads_back(api):
    paste = api.submit("print('hi')", language="python")
    response = api.details(paste["paste_id_repr"])
    assert response.status_code == 200
    assert response.json["contents"] == "print('hi')"
    assert response.json["views"] == 1
