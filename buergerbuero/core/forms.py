"""Every Django form renders through KERN UX markup.

The renderer's templates (``core/templates/kern/forms/``) give each field its label,
hint and error message; :class:`KernBoundField` gives each widget the KERN classes.
Django links hint and error to the input with ``aria-describedby`` (ids ``<id>_helptext``
and ``<id>_error``), so forms need no per-field markup of their own::

    class FeedbackForm(forms.Form):
        message = forms.CharField(label=_("Ihre Nachricht"), help_text=_("Was fehlt?"))

    {{ form }}   {# renders KERN label, hint, error, input #}
"""

from django.forms import widgets
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting

_CHOICE_WIDGETS = (widgets.RadioSelect, widgets.CheckboxSelectMultiple)


class KernBoundField(BoundField):
    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        # CheckboxSelectMultiple is a subclass of RadioSelect: ask for it first.
        if isinstance(widget, widgets.CheckboxInput | widgets.CheckboxSelectMultiple):
            css = "kern-form-check__checkbox"
        elif isinstance(widget, widgets.RadioSelect):
            css = "kern-form-check__radio"
        elif isinstance(widget, widgets.Select):
            css = "kern-form-input__select"
        else:
            css = "kern-form-input__input"
        if self.errors:
            css = f"{css} {css}--error"
        attrs["class"] = " ".join(filter(None, [attrs.get("class", ""), css]))
        return attrs

    @property
    def kern_kind(self) -> str:
        """Which KERN wrapper the field template uses: input, check or a fieldset group."""
        if isinstance(self.field.widget, widgets.CheckboxInput):
            return "check"
        if isinstance(self.field.widget, _CHOICE_WIDGETS):
            return "choices"
        if isinstance(self.field.widget, widgets.MultiWidget):
            return "parts"
        return "input"


class KernFormRenderer(TemplatesSetting):
    form_template_name = "kern/forms/form.html"
    field_template_name = "kern/forms/field.html"
    bound_field_class = KernBoundField
