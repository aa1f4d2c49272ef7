"""One list of categories: a program's category and a helper's interests are chosen from the same
choices (accounts.categories), so matching compares them value for value."""

from accounts.categories import Category
from accounts.forms import HelperProfileForm
from portal.models import Program


def test_programs_and_interests_share_one_list_of_categories():
    program_choices = Program._meta.get_field("category").choices
    interest_choices = HelperProfileForm.base_fields["interests"].choices
    assert list(program_choices) == list(interest_choices) == list(Category.choices)


def test_the_stored_values_are_those_both_apps_used_before():
    assert Category.values == [
        "farming", "craft", "festival", "nature", "community", "care", "snow", "remote",
    ]  # fmt: skip
