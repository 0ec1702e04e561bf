from django import forms

from claims.models import Claim, VerdictLabel


class VerdictForm(forms.Form):
    label = forms.ChoiceField(choices=VerdictLabel.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 80}), required=True,
                                help_text="Required: why the evidence supports this label.")
    sources = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple,
                                        help_text="The sources you relied on.")
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, claim: Claim, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sources"].choices = [
            (str(s.pk), f"{s.title or s.url} ({s.provider})") for s in claim.sources.all()
        ]
        self.fields["version"].initial = claim.version
