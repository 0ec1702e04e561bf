from django import forms
from django.contrib.auth import get_user_model

from claims.models import Claim, VerdictLabel
from reviewers.roles import LEADS, REVIEWERS


class VerdictForm(forms.Form):
    label = forms.ChoiceField(choices=VerdictLabel.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        required=True,
        help_text="Required: why the evidence supports this label.",
    )
    sources = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Sources relied on",
        help_text="The sources you relied on.",
    )
    override = forms.BooleanField(required=False, label="Override (leads): make this verdict final now")
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, claim: Claim, can_override: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sources"].choices = [
            (str(s.pk), f"#{s.rank} {s.title or s.url} ({s.provider})") for s in claim.sources.all()
        ]
        self.fields["version"].initial = claim.version
        if not can_override:
            del self.fields["override"]


class AssignForm(forms.Form):
    """A lead's choice of who gets a claim."""

    reviewer = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label="Assign to")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True, groups__name__in=[REVIEWERS, LEADS])
        self.fields["reviewer"].queryset = users.distinct().order_by("username")
