"""Choices of service standards and calendars."""

from django.db import models


class StandardKind(models.TextChoices):
    SLA = "sla", "SLA (with a customer)"
    OLA = "ola", "OLA (between teams)"
    UNDERPINNING_CONTRACT = "uc", "Underpinning contract (with a supplier)"
    INTERNAL = "internal", "Internal target"
    SLO = "slo", "SLO"


class Metric(models.TextChoices):
    RESPONSE_TIME = "response_time", "Response time"
    RESOLUTION_TIME = "resolution_time", "Resolution time"
    AVAILABILITY = "availability", "Availability"
    CSAT = "csat", "Customer satisfaction (CSAT)"
    FIRST_CONTACT_RESOLUTION = "first_contact_resolution", "First-contact resolution"
    REOPEN_RATE = "reopen_rate", "Reopen rate"
    BACKLOG_AGE = "backlog_age", "Backlog age"
    CUSTOM = "custom", "Custom metric"


# The metrics measured per ticket against a duration threshold (the others are rates or scores).
DURATION_METRICS = {Metric.RESPONSE_TIME, Metric.RESOLUTION_TIME, Metric.BACKLOG_AGE}


class Comparator(models.TextChoices):
    LTE = "lte", "at most (≤)"
    LT = "lt", "less than (<)"
    GTE = "gte", "at least (≥)"
    GT = "gt", "more than (>)"


class ThresholdUnit(models.TextChoices):
    SECONDS = "seconds", "seconds"
    MINUTES = "minutes", "minutes"
    HOURS = "hours", "hours"
    DAYS = "days", "days"
    PERCENT = "percent", "percent"
    SCORE = "score", "score"
    COUNT = "count", "count"
    RATIO = "ratio", "ratio (0 to 1)"


UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


class WindowKind(models.TextChoices):
    ROLLING = "rolling", "Rolling window"
    CALENDAR = "calendar", "Calendar period"


class CalendarPeriod(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"


class BudgetingMethod(models.TextChoices):
    OCCURRENCES = "occurrences", "Occurrences"
    TIMESLICES = "timeslices", "Timeslices"
    RATIO_TIMESLICES = "ratio_timeslices", "Ratio timeslices"
