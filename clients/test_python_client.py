"""neuCRM's reference flow through the Python client that openapi-python-client generates from
docs/openapi.yaml: create, list with filters and sort, update, a service, a cursor page, an error
envelope, delete, and a profiled form key's delivery (a `json` profile set by user/update);
against the real binary on moto (infra/clients.sh starts both and generates
the client into clients/.generated/py/customer_api_client).

Usage: BASE_URL=http://127.0.0.1:PORT python clients/test_python_client.py
Prints one line per step and closes with "N passed, N failed".
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".generated", "py"))

from customer_api_client import Client  # noqa: E402
from customer_api_client.api.customers import (  # noqa: E402
    customer_create, customer_delete, customer_list, customer_update)
from customer_api_client.api.services import (  # noqa: E402
    service_create, service_delete, service_list)
from customer_api_client.api.users import user_update  # noqa: E402
from customer_api_client.models import (  # noqa: E402
    CreateResponse, CustomerCreateRequest, CustomerDeleteRequest, CustomerListRequest,
    CustomerListRequestSortField, CustomerListResponse, CustomerTypeParam,
    CustomerUpdateRequest, CustomerUpdateResponse, DoneResponse, ErrorEnvelope,
    ProfiledDelivery, ServiceCreateRequest, ServiceDeleteRequest, ServiceListRequest,
    ServiceListResponse, ShowCount, SortOrder, UserUpdateRequest, UserUpdateRequestFormProfile,
    UserUpdateResponse)

# make dev's seeded ISP user (infra/seed.sh): ISP 1, reseller 1
CREDENTIALS = {"x_userid": 5, "x_api_key": "0f9895fb407c83e5ea128082098b47681aa75d6944576423c4"}
# make dev's seeded form key (reseller 1), given a `json` profile by the flow
FORM_KEY = {"x_userid": 10, "x_api_key": "f00fdev0form0key000000000000000000000000000000000010"}
# a `json` profile's field map: customer field -> JSON Pointer into the delivery
JSON_MAP = {"type": {"const": "Individual"}, "name": "/contact/name", "email": "/contact/email",
            "mobile": "/contact/phone", "street": "/address/street", "city": "/address/city",
            "state": "/address/state", "zipcode": "/address/zip", "idempotency_key": "/submission"}
RUN = str(int(time.time() * 1000) % 10**8)  # a name prefix of this run's customers

passed, failed = 0, 0


def step(name, fn):
    global passed, failed
    try:
        fn()
        passed += 1
        print(f"ok   python client: {name}")
    except Exception as e:  # every failure is reported, the flow goes on where it can
        failed += 1
        print(f"FAIL python client: {name}: {type(e).__name__}: {e}")


def main():
    client = Client(base_url=os.environ["BASE_URL"], raise_on_unexpected_status=True)
    made = {}

    def create():
        for i, name in enumerate(("Zed", "Ann")):
            answer = customer_create.sync(client=client, **CREDENTIALS, body=CustomerCreateRequest(
                type_=CustomerTypeParam.INDIVIDUAL, name=f"Client{RUN} {name}",
                mobile=f"+9198{RUN}{i}", email=f"{name.lower()}{RUN}@example.com",
                zipcode="403001", state="Goa", city="Panaji", street="1 Road", resellerid=1))
            assert isinstance(answer, CreateResponse), answer
            made[name] = answer.result

    def list_filtered_sorted():
        answer = customer_list.sync(client=client, **CREDENTIALS, body=CustomerListRequest(
            name=f"Client{RUN}%", sort_field=CustomerListRequestSortField.NAME,
            sort_order=SortOrder.DESC))
        assert isinstance(answer, CustomerListResponse), answer
        names = [c.name for c in answer.result]
        assert names == [f"Client{RUN} Zed", f"Client{RUN} Ann"], names
        count = customer_list.sync(client=client, **CREDENTIALS, body=CustomerListRequest(
            name=f"Client{RUN}%", show_count=ShowCount.VALUE_1))
        assert isinstance(count, CustomerListResponse) and count.result == 2, count

    def update():
        answer = customer_update.sync(client=client, **CREDENTIALS, body=CustomerUpdateRequest(
            customerid=made["Ann"], city="Margao"))
        assert isinstance(answer, CustomerUpdateResponse) and answer.result == "done", answer
        page = customer_list.sync(client=client, **CREDENTIALS, body=CustomerListRequest(
            customerid=made["Ann"]))
        assert [c.city for c in page.result] == ["Margao"], page

    def a_service():
        answer = service_create.sync(client=client, **CREDENTIALS, body=ServiceCreateRequest(
            customerid=made["Ann"], username=f"ann{RUN}@isp", plan="Home 100"))
        assert isinstance(answer, CreateResponse), answer
        listed = service_list.sync(client=client, **CREDENTIALS, body=ServiceListRequest(
            customerid=made["Ann"]))
        assert isinstance(listed, ServiceListResponse), listed
        assert [(s.id, s.username) for s in listed.result] == [(answer.result, f"ann{RUN}@isp")]
        made["service"] = answer.result

    def cursor_page():
        first = customer_list.sync(client=client, **CREDENTIALS, body=CustomerListRequest(
            name=f"Client{RUN}%", sort_field=CustomerListRequestSortField.NAME, rows_limit=1,
            cursor=""))
        assert isinstance(first, CustomerListResponse) and isinstance(first.next_, str), first
        second = customer_list.sync(client=client, **CREDENTIALS, body=CustomerListRequest(
            name=f"Client{RUN}%", sort_field=CustomerListRequestSortField.NAME, rows_limit=1,
            cursor=first.next_))
        names = [c.name for c in first.result + second.result]
        assert names == [f"Client{RUN} Ann", f"Client{RUN} Zed"], names

    def error_envelope():
        answer = customer_update.sync_detailed(client=client, **CREDENTIALS,
                                               body=CustomerUpdateRequest(
                                                   customerid=made["Ann"], mobile="12"))
        assert answer.status_code == 400, answer
        assert isinstance(answer.parsed, ErrorEnvelope), answer.parsed
        assert answer.parsed.error == "mobile: must be 6 to 15 digits", answer.parsed.error

    def delete():
        gone = service_delete.sync(client=client, **CREDENTIALS,
                                   body=ServiceDeleteRequest(serviceid=made["service"]))
        assert isinstance(gone, DoneResponse), gone
        for name in ("Ann", "Zed"):
            answer = customer_delete.sync(client=client, **CREDENTIALS,
                                          body=CustomerDeleteRequest(customerid=made[name]))
            assert isinstance(answer, DoneResponse), answer
        left = customer_list.sync(client=client, **CREDENTIALS, body=CustomerListRequest(
            name=f"Client{RUN}%", show_count=ShowCount.VALUE_1))
        assert left.result == 0, left

    def profiled_create():
        setup = user_update.sync(client=client, **CREDENTIALS, body=UserUpdateRequest(
            target_userid=FORM_KEY["x_userid"], form_profile=UserUpdateRequestFormProfile.JSON,
            form_map=json.dumps(JSON_MAP)))
        assert isinstance(setup, UserUpdateResponse) and setup.result == "done", setup
        delivery = ProfiledDelivery.from_dict({
            "submission": f"py{RUN}",
            "contact": {"name": f"Client{RUN} Form", "email": f"form{RUN}@example.com",
                        "phone": f"+9196{RUN}"},
            "address": {"street": "2 Road", "city": "Panaji", "state": "Goa", "zip": "403001"}})
        answer = customer_create.sync(client=client, **FORM_KEY, body=delivery)
        assert isinstance(answer, CreateResponse), answer
        page = customer_list.sync(client=client, **CREDENTIALS, body=CustomerListRequest(
            customerid=answer.result))
        assert [(c.name, c.email) for c in page.result] == [
            (f"Client{RUN} Form", f"form{RUN}@example.com")], page
        gone = customer_delete.sync(client=client, **CREDENTIALS,
                                    body=CustomerDeleteRequest(customerid=answer.result))
        assert isinstance(gone, DoneResponse), gone

    for name, fn in [("create", create), ("list with a filter and sort", list_filtered_sorted),
                     ("update", update), ("a service", a_service), ("a cursor page", cursor_page),
                     ("an error envelope", error_envelope), ("delete", delete),
                     ("a profiled form key's delivery", profiled_create)]:
        step(name, fn)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
