"""The delivery model of a service: processes, roles and RACI over activities, tools, required skills."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from csi.catalog.choices import Raci, ToolKind
from csi.catalog.models.service import KEY_VALIDATOR


class Process(models.Model):
    """A service management process (e.g. incident management) with its process owner."""

    key = models.CharField(max_length=63, unique=True, validators=[KEY_VALIDATOR])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5_000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_processes",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "processes"

    def __str__(self) -> str:
        return self.name


class ServiceProcess(models.Model):
    """The service depends on the process."""

    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="process_links")
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="service_links")
    notes = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["service", "process__name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "process"], name="catalog_service_process_unique")
        ]

    def __str__(self) -> str:
        return f"{self.service.key} uses {self.process.key}"


class DeliveryRole(models.Model):
    """A role in delivering the service (e.g. 'service desk analyst'), not a sign-in role."""

    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="delivery_roles")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, max_length=2_000)

    class Meta:
        ordering = ["service", "name"]
        constraints = [models.UniqueConstraint(fields=["service", "name"], name="catalog_role_unique_name")]

    def __str__(self) -> str:
        return self.name


class ServiceActivity(models.Model):
    """An activity in delivering the service; the RACI matrix assigns roles to it."""

    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="activities")
    name = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["service", "position", "name"]
        verbose_name_plural = "service activities"
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="catalog_activity_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class RaciAssignment(models.Model):
    """One cell of the RACI matrix. Each activity has at most one Accountable role (checked by the service)."""

    activity = models.ForeignKey(ServiceActivity, on_delete=models.CASCADE, related_name="assignments")
    role = models.ForeignKey(DeliveryRole, on_delete=models.CASCADE, related_name="assignments")
    letter = models.CharField(max_length=1, choices=Raci.choices)

    class Meta:
        ordering = ["activity", "role"]
        constraints = [models.UniqueConstraint(fields=["activity", "role"], name="catalog_raci_unique_cell")]

    def __str__(self) -> str:
        return f"{self.activity}: {self.role} = {self.letter}"


class ServiceTool(models.Model):
    """A tool or technology the service is delivered with."""

    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="tools")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=ToolKind.choices, default=ToolKind.TOOL)
    description = models.TextField(blank=True, max_length=2_000)

    class Meta:
        ordering = ["service", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["service", "name"], name="catalog_tool_unique_name")]

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    """A skill, catalog-wide (e.g. 'ITIL incident management', 'PostgreSQL administration')."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True, max_length=2_000)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoleSkill(models.Model):
    """The level (1 to 5) of a skill that a delivery role needs; later compared with people's skills."""

    role = models.ForeignKey(DeliveryRole, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="role_requirements")
    level = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        ordering = ["role", "skill__name"]
        constraints = [models.UniqueConstraint(fields=["role", "skill"], name="catalog_role_skill_unique")]

    def __str__(self) -> str:
        return f"{self.role}: {self.skill} at {self.level}"
