from checkup.models import User


def test_counter_counts_statements(app, make_user, count_queries):
    make_user("admin")
    with count_queries() as q:
        list(User.select())
        list(User.select())
    assert q.count == 2
