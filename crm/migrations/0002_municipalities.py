"""The six municipalities of the SavoGrow cooperation, with Statistics Finland's codes, and the
joint organisation itself (for users who belong to no single municipality)."""

from django.db import migrations

MUNICIPALITIES = [
    ("Keitele", "239"),
    ("Pielavesi", "595"),
    ("Rautalampi", "686"),
    ("Suonenjoki", "778"),
    ("Tervo", "844"),
    ("Vesanto", "921"),
]
JOINT_ORGANISATION = "SavoGrow"


def create_municipalities(apps, schema_editor):
    Municipality = apps.get_model("crm", "Municipality")
    for name, code in MUNICIPALITIES:
        Municipality.objects.update_or_create(code=code, defaults={"name": name})
    Municipality.objects.update_or_create(
        is_joint_organisation=True, defaults={"name": JOINT_ORGANISATION, "code": None}
    )


def remove_municipalities(apps, schema_editor):
    Municipality = apps.get_model("crm", "Municipality")
    Municipality.objects.filter(code__in=[code for _, code in MUNICIPALITIES]).delete()
    Municipality.objects.filter(is_joint_organisation=True).delete()


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [migrations.RunPython(create_municipalities, remove_municipalities)]
