"""/pub custom fields: stored per name; their code runs, when allowed, in the sandbox,
whose refusals and limits are each a named failure, and the server goes on serving."""

import pytest

from tests.qexo import Pub


def store(pub, name, content):
    return pub.ok(pub.post("set_custom", {"name": name, "content": content}))


@pytest.fixture
def running(make_app, admin_token):
    """An admin's /pub on a server that runs custom fields, with small limits."""

    def make(**settings):
        config = {
            "CUSTOM_FIELDS_EXECUTE": True,
            "CUSTOM_FIELDS_CPU_SECONDS": 1,
            "CUSTOM_FIELDS_MEMORY_MIB": 256,
            "CUSTOM_FIELDS_TIMEOUT": 10,
            **settings,
        }
        return Pub(make_app(**config).test_client(), admin_token)

    return make


def test_fields_are_stored_replaced_and_deleted(admin_pub, db_rows):
    assert store(admin_pub, "greeting", "print('Hello World')") == {
        "msg": "Saved successfully!",
        "status": True,
    }
    new = admin_pub.post("new_custom", {"name": "greeting", "content": "print('again')"})
    assert admin_pub.ok(new) == {"msg": "Saved successfully!", "status": True}
    rows = db_rows()["custom_fields"]
    assert [(name, content) for _, name, content in rows] == [("greeting", "print('again')")]
    deleted = admin_pub.post("del_custom", {"name": "greeting"})
    assert admin_pub.ok(deleted) == {"msg": "Deleted successfully!", "status": True}
    assert db_rows()["custom_fields"] == []
    missing = admin_pub.post("del_custom", {"name": "greeting"})
    assert admin_pub.failed(missing) == "nonexistent_custom_field_failure"


def test_running_stored_code_is_off_by_default(admin_pub):
    store(admin_pub, "greeting", "print('Hello World')")
    assert admin_pub.failed(admin_pub.get("get_custom", key="greeting")) == (
        "feature_disabled_failure"
    )


def test_a_field_answers_what_it_printed_with_the_parameters_as_variables(running):
    pub = running()
    store(
        pub,
        "card",
        "result = sum([1, 2, 3, 4, 5])\n"
        "data = {'name': param1, 'value': int(param2), 'sum': result}\n"
        "print(json.dumps(data))",
    )
    answered = pub.ok(pub.get("get_custom", key="card", param1="value 1", param2="7"))
    assert answered == {"data": '{"name": "value 1", "value": 7, "sum": 15}\n', "status": True}
    # The same by POST, as a form.
    posted = pub.ok(pub.post("get_custom", {"key": "card", "param1": "x", "param2": "1"}))
    assert posted["data"] == '{"name": "x", "value": 1, "sum": 15}\n'


def test_functions_and_loops_print_into_the_answer(running):
    pub = running()
    store(pub, "loop", "def show(n):\n    print('n =', n)\nfor i in range(3):\n    show(i)")
    assert pub.ok(pub.get("get_custom", key="loop"))["data"] == "n = 0\nn = 1\nn = 2\n"


def test_an_unknown_field_is_named(running):
    pub = running()
    assert pub.failed(pub.get("get_custom", key="nothing")) == "nonexistent_custom_field_failure"


@pytest.mark.parametrize(
    ("code", "failure_name"),
    [
        ("import os\nprint(os.listdir('/'))", "sandbox_violation_failure"),
        ("from subprocess import run", "sandbox_violation_failure"),
        ("print(open('/etc/passwd').read())", "sandbox_violation_failure"),
        (
            "try:\n    open('/etc/passwd')\nexcept Exception:\n    print('hidden')",
            "sandbox_violation_failure",
        ),
        ("__import__('subprocess')", "sandbox_violation_failure"),
        ("print(().__class__.__bases__)", "sandbox_violation_failure"),
        ("print(getattr((), '__cl' + 'ass__'))", "sandbox_violation_failure"),
        ("print(eval('1 + 1'))", "sandbox_violation_failure"),
        ("exec('print(1)')", "sandbox_violation_failure"),
        ("print('{0.__class__}'.format(1))", "sandbox_violation_failure"),
        ("print(json.codecs.open('/etc/passwd').read())", "sandbox_error_failure"),
        ("while True:\n    pass", "sandbox_timeout_failure"),
        ("x = 'a' * (10 ** 10)", "sandbox_memory_failure"),
        ("x = [0] * (10 ** 9)", "sandbox_memory_failure"),
        ("while True:\n    print('spam')", "sandbox_memory_failure"),
        ("print(1 / 0)", "sandbox_error_failure"),
        ("print(undefined_name)", "sandbox_error_failure"),
        ("print('unclosed", "sandbox_error_failure"),
    ],
)
def test_the_sandbox_refuses_and_limits_with_a_name(running, code, failure_name):
    pub = running()
    store(pub, "hostile", code)
    response = pub.get("get_custom", key="hostile")
    assert pub.failed(response) == failure_name, response.json
    # The server goes on serving, and the next run is unaffected.
    store(pub, "fine", "print('still here')")
    assert pub.ok(pub.get("get_custom", key="fine"))["data"] == "still here\n"


def test_a_wall_clock_ends_a_run_before_its_cpu_time(running):
    pub = running(CUSTOM_FIELDS_CPU_SECONDS=30, CUSTOM_FIELDS_TIMEOUT=0.5)
    store(pub, "forever", "while True:\n    pass")
    assert pub.failed(pub.get("get_custom", key="forever")) == "sandbox_timeout_failure"


def test_output_is_capped(running):
    pub = running(CUSTOM_FIELDS_MAX_OUTPUT=10)
    store(pub, "chatty", "print('x' * 11)")
    assert pub.failed(pub.get("get_custom", key="chatty")) == "sandbox_memory_failure"
    store(pub, "quiet", "print('x' * 9)")
    assert pub.ok(pub.get("get_custom", key="quiet"))["data"] == "x" * 9 + "\n"


@pytest.mark.parametrize(
    ("params", "failure_name"),
    [
        ({}, "incomplete_params_failure"),
        ({"key": "k", "p": "a\u0000b"}, "invalid_params_failure"),
    ],
)
def test_bad_run_parameters_are_named(running, params, failure_name):
    pub = running()
    store(pub, "k", "print(1)")
    assert pub.failed(pub.get("get_custom", **params)) == failure_name


def test_parameters_that_are_no_variable_names_are_ignored(running):
    pub = running()
    store(pub, "k", "print(ok_name)")
    params = {"key": "k", "ok_name": "1", "bad-name": "2", "_getattr_": "3", "if": "4"}
    assert pub.ok(pub.get("get_custom", **params))["data"] == "1\n"


@pytest.mark.parametrize(
    "code",
    [
        "getattr(1, '_' + 'a' * 5_000_000)",  # a refusal quoting what it refused
        "raise ValueError('b' * 5_000_000)",  # an error's own text
        "\n".join(f"_{n} = 1" for n in range(3_000)),  # a refusal for every line
    ],
)
def test_a_refusal_is_capped_like_the_output(running, code):
    """However long the message the code provokes, the answer stays small."""
    pub = running(CUSTOM_FIELDS_MAX_OUTPUT=100)
    store(pub, "long", code)
    response = pub.get("get_custom", key="long")
    assert len(response.data) < 2_000, len(response.data)
    assert pub.failed(response).startswith("sandbox_")
