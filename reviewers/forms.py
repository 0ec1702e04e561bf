from typing import cast

from django import forms
from django.contrib.auth import get_user_model

from claims.models import Claim, VerdictLabel
from reviewers.roles import LEADS, REVIEWERS
from textkit.display import shorten


class VerdictForm(forms.Form):
    """The verdict on the claim page. With `draft=True` (the 'Save draft' button) nothing is required:
    a draft may lack a label or a rationale; reviewers.services.save_draft says what it needs."""

    label = forms.ChoiceField(choices=VerdictLabel.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=True,
        max_length=20000,
        help_text="Required: why the evidence supports this label, in a sentence or two readers will see.",
    )
    sources = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Sources relied on",
        help_text="Tick the sources your rationale rests on; they are kept with the verdict.",
    )
    override = forms.BooleanField(required=False, label="Override (leads): make this verdict final now")
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self, *args, claim: Claim, can_override: bool = False, draft: bool = False, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        sources = cast(forms.MultipleChoiceField, self.fields["sources"])
        sources.choices = [
            (str(s.pk), f"#{s.rank} {shorten(s.title or s.url, 140)} ({s.provider})")
            for s in claim.sources.all()
        ]
        if not sources.choices:
            sources.help_text = (
                "This claim has no sources to cite (see how the search went above); explain in the "
                "rationale what you relied on instead."
            )
        self.fields["version"].initial = claim.version
        if draft:
            for name in ("label", "rationale", "version"):
                self.fields[name].required = False
        if not can_override:
            del self.fields["override"]


class AssignForm(forms.Form):
    """A lead's choice of who gets a claim."""

    reviewer = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label="Assign to")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True, groups__name__in=[REVIEWERS, LEADS])
        cast(forms.ModelChoiceField, self.fields["reviewer"]).queryset = users.distinct().order_by("username")


class SendBackForm(forms.Form):
    """Why a claim goes back to the queue; the next reviewer reads it."""

    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
        label="Why send it back?",
        help_text="Required; the next reviewer reads it in the claim's activity.",
    )
