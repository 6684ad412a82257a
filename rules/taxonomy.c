/* The fideslang taxonomy as a sorted table, with lookups on dot boundaries. */
#include "config.h"

#include <string.h>

#include "taxonomy.h"

/* Generated from rules/taxonomy/fideslang.tsv by rules/taxonomy/tsv2c.py
 * (same order: kind, then key); tests/unit/test_policy.c checks that the
 * two agree. Credit and license: rules/taxonomy/NOTICE (CC BY 4.0). */
static const struct taxonomy_entry taxonomy_table[] = {
	{ TAXONOMY_CATEGORY, "system",
	    NULL, "System Data", NULL },
	{ TAXONOMY_CATEGORY, "system.authentication",
	    "system", "Authentication Data", NULL },
	{ TAXONOMY_CATEGORY, "system.operations",
	    "system", "Operations Data", NULL },
	{ TAXONOMY_CATEGORY, "user",
	    NULL, "User Data", NULL },
	{ TAXONOMY_CATEGORY, "user.account",
	    "user", "Account Information", NULL },
	{ TAXONOMY_CATEGORY, "user.account.settings",
	    "user.account", "Account Settings", NULL },
	{ TAXONOMY_CATEGORY, "user.account.username",
	    "user.account", "Account Username", NULL },
	{ TAXONOMY_CATEGORY, "user.authorization",
	    "user", "Authorization Information", NULL },
	{ TAXONOMY_CATEGORY, "user.authorization.biometric",
	    "user.authorization", "Biometric Credentials", NULL },
	{ TAXONOMY_CATEGORY, "user.authorization.credentials",
	    "user.authorization", "Account password", NULL },
	{ TAXONOMY_CATEGORY, "user.authorization.password",
	    "user.authorization", "Password", NULL },
	{ TAXONOMY_CATEGORY, "user.behavior",
	    "user", "Observed Behavior", NULL },
	{ TAXONOMY_CATEGORY, "user.behavior.browsing_history",
	    "user.behavior", "Browsing History", NULL },
	{ TAXONOMY_CATEGORY, "user.behavior.media_consumption",
	    "user.behavior", "Media Consumption", NULL },
	{ TAXONOMY_CATEGORY, "user.behavior.purchase_history",
	    "user.behavior", "Purchase History", NULL },
	{ TAXONOMY_CATEGORY, "user.behavior.search_history",
	    "user.behavior", "Search History", NULL },
	{ TAXONOMY_CATEGORY, "user.biometric",
	    "user", "Biometric Data", NULL },
	{ TAXONOMY_CATEGORY, "user.biometric.fingerprint",
	    "user.biometric", "Fingerprint", NULL },
	{ TAXONOMY_CATEGORY, "user.biometric.health",
	    "user.biometric", "Biometric Health Data", NULL },
	{ TAXONOMY_CATEGORY, "user.biometric.retinal",
	    "user.biometric", "Retina Scan", NULL },
	{ TAXONOMY_CATEGORY, "user.biometric.voice",
	    "user.biometric", "Voice Recording", NULL },
	{ TAXONOMY_CATEGORY, "user.childrens",
	    "user", "Children's Data", NULL },
	{ TAXONOMY_CATEGORY, "user.contact",
	    "user", "Contact Data", NULL },
	{ TAXONOMY_CATEGORY, "user.contact.address",
	    "user.contact", "User Contact Address", NULL },
	{ TAXONOMY_CATEGORY, "user.contact.address.city",
	    "user.contact.address", "User Contact City", NULL },
	{ TAXONOMY_CATEGORY, "user.contact.address.country",
	    "user.contact.address", "User Contact Country", NULL },
	{ TAXONOMY_CATEGORY, "user.contact.address.postal_code",
	    "user.contact.address", "User Contact Postal Code", NULL },
	{ TAXONOMY_CATEGORY, "user.contact.address.state",
	    "user.contact.address", "User Contact State", NULL },
	{ TAXONOMY_CATEGORY, "user.contact.address.street",
	    "user.contact.address", "User Contact Street", NULL },
	{ TAXONOMY_CATEGORY, "user.contact.email",
	    "user.contact", "User Contact Email", NULL },
	{ TAXONOMY_CATEGORY, "user.contact.fax_number",
	    "user.contact", "Fax Number", NULL },
	{ TAXONOMY_CATEGORY, "user.contact.organization",
	    "user.contact", "Organization", NULL },
	{ TAXONOMY_CATEGORY, "user.contact.phone_number",
	    "user.contact", "User Contact Phone Number", NULL },
	{ TAXONOMY_CATEGORY, "user.contact.url",
	    "user.contact", "User Website", NULL },
	{ TAXONOMY_CATEGORY, "user.content",
	    "user", "User Content", NULL },
	{ TAXONOMY_CATEGORY, "user.content.private",
	    "user.content", "Private Content", NULL },
	{ TAXONOMY_CATEGORY, "user.content.public",
	    "user.content", "Public Content", NULL },
	{ TAXONOMY_CATEGORY, "user.content.self_image",
	    "user.content", "User Image", NULL },
	{ TAXONOMY_CATEGORY, "user.criminal_history",
	    "user", "Criminal History", NULL },
	{ TAXONOMY_CATEGORY, "user.demographic",
	    "user", "Demographic Data", NULL },
	{ TAXONOMY_CATEGORY, "user.demographic.age_range",
	    "user.demographic", "Age Range", NULL },
	{ TAXONOMY_CATEGORY, "user.demographic.date_of_birth",
	    "user.demographic", "Birth Date", NULL },
	{ TAXONOMY_CATEGORY, "user.demographic.gender",
	    "user.demographic", "Gender", NULL },
	{ TAXONOMY_CATEGORY, "user.demographic.language",
	    "user.demographic", "Language", NULL },
	{ TAXONOMY_CATEGORY, "user.demographic.marital_status",
	    "user.demographic", "Marital Status", NULL },
	{ TAXONOMY_CATEGORY, "user.demographic.political_opinion",
	    "user.demographic", "Political Opinion", NULL },
	{ TAXONOMY_CATEGORY, "user.demographic.profile",
	    "user.demographic", "User Profile Data", NULL },
	{ TAXONOMY_CATEGORY, "user.demographic.race_ethnicity",
	    "user.demographic", "Race", NULL },
	{ TAXONOMY_CATEGORY, "user.demographic.religious_belief",
	    "user.demographic", "Religion", NULL },
	{ TAXONOMY_CATEGORY, "user.demographic.sexual_orientation",
	    "user.demographic", "Sexual Orientation", NULL },
	{ TAXONOMY_CATEGORY, "user.device",
	    "user", "Device Data", NULL },
	{ TAXONOMY_CATEGORY, "user.device.cookie",
	    "user.device", "Device Cookie", NULL },
	{ TAXONOMY_CATEGORY, "user.device.cookie_id",
	    "user.device", "Cookie ID", NULL },
	{ TAXONOMY_CATEGORY, "user.device.device_id",
	    "user.device", "Device ID", NULL },
	{ TAXONOMY_CATEGORY, "user.device.ip_address",
	    "user.device", "IP Address", NULL },
	{ TAXONOMY_CATEGORY, "user.financial",
	    "user", "Financial Data", NULL },
	{ TAXONOMY_CATEGORY, "user.financial.bank_account",
	    "user.financial", "Bank Account Information", NULL },
	{ TAXONOMY_CATEGORY, "user.financial.credit_card",
	    "user.financial", "Credit Card Information", NULL },
	{ TAXONOMY_CATEGORY, "user.government_id",
	    "user", "Government ID", NULL },
	{ TAXONOMY_CATEGORY, "user.government_id.birth_certificate",
	    "user.government_id", "Birth Certificate", NULL },
	{ TAXONOMY_CATEGORY, "user.government_id.drivers_license_number",
	    "user.government_id", "Driver's License Number", NULL },
	{ TAXONOMY_CATEGORY, "user.government_id.immigration",
	    "user.government_id", "Immigration ID", NULL },
	{ TAXONOMY_CATEGORY,
	    "user.government_id.national_identification_number",
	    "user.government_id", "National Identification Number", NULL },
	{ TAXONOMY_CATEGORY, "user.government_id.passport_number",
	    "user.government_id", "Passport Number", NULL },
	{ TAXONOMY_CATEGORY, "user.government_id.vehicle_registration",
	    "user.government_id", "Vehicle Registration", NULL },
	{ TAXONOMY_CATEGORY, "user.health_and_medical",
	    "user", "Health and Medical Data", NULL },
	{ TAXONOMY_CATEGORY, "user.health_and_medical.genetic",
	    "user.health_and_medical", "User's Genetic Data", NULL },
	{ TAXONOMY_CATEGORY, "user.health_and_medical.insurance_beneficiary_id",
	    "user.health_and_medical", "Medical Insurance ID", NULL },
	{ TAXONOMY_CATEGORY, "user.health_and_medical.record_id",
	    "user.health_and_medical", "Medical Record ID", NULL },
	{ TAXONOMY_CATEGORY, "user.job_title",
	    "user", "Job Title", NULL },
	{ TAXONOMY_CATEGORY, "user.location",
	    "user", "Location Data", NULL },
	{ TAXONOMY_CATEGORY, "user.location.imprecise",
	    "user.location", "Imprecise Subject Location", NULL },
	{ TAXONOMY_CATEGORY, "user.location.precise",
	    "user.location", "Precise Subject Location", NULL },
	{ TAXONOMY_CATEGORY, "user.name",
	    "user", "Name", NULL },
	{ TAXONOMY_CATEGORY, "user.name.first",
	    "user.name", "First Name", NULL },
	{ TAXONOMY_CATEGORY, "user.name.last",
	    "user.name", "Last Name", NULL },
	{ TAXONOMY_CATEGORY, "user.payment",
	    "user", "Payment Data", NULL },
	{ TAXONOMY_CATEGORY, "user.privacy_preferences",
	    "user", "Privacy Preferences", NULL },
	{ TAXONOMY_CATEGORY, "user.sensor",
	    "user", "Sensor Data", NULL },
	{ TAXONOMY_CATEGORY, "user.social",
	    "user", "Social Data", NULL },
	{ TAXONOMY_CATEGORY, "user.telemetry",
	    "user", "Telemetry Data", NULL },
	{ TAXONOMY_CATEGORY, "user.unique_id",
	    "user", "Unique ID", NULL },
	{ TAXONOMY_CATEGORY, "user.unique_id.pseudonymous",
	    "user.unique_id", "Pseudonymous User ID", NULL },
	{ TAXONOMY_CATEGORY, "user.user_sensor",
	    "user", "User Sensor Data", NULL },
	{ TAXONOMY_CATEGORY, "user.workplace",
	    "user", "Workplace", NULL },
	{ TAXONOMY_USE, "analytics",
	    NULL, "Analytics", NULL },
	{ TAXONOMY_USE, "analytics.reporting",
	    "analytics", "Analytics for Reporting", NULL },
	{ TAXONOMY_USE, "analytics.reporting.ad_performance",
	    "analytics.reporting",
	    "Analytics for Advertising Performance", NULL },
	{ TAXONOMY_USE, "analytics.reporting.campaign_insights",
	    "analytics.reporting", "Analytics for Insights", NULL },
	{ TAXONOMY_USE, "analytics.reporting.content_performance",
	    "analytics.reporting", "Analytics for Content Performance", NULL },
	{ TAXONOMY_USE, "analytics.reporting.system",
	    "analytics.reporting", "Analytics for System Activity", NULL },
	{ TAXONOMY_USE, "analytics.reporting.system.performance",
	    "analytics.reporting.system",
	    "Analytics for System Performance", NULL },
	{ TAXONOMY_USE, "collect",
	    NULL, "Collect", NULL },
	{ TAXONOMY_USE, "employment",
	    NULL, "Employment", NULL },
	{ TAXONOMY_USE, "employment.recruitment",
	    "employment", "Employment Recruitment", NULL },
	{ TAXONOMY_USE, "essential",
	    NULL, "Essential", NULL },
	{ TAXONOMY_USE, "essential.fraud_detection",
	    "essential", "Essential Fraud Detection", NULL },
	{ TAXONOMY_USE, "essential.legal_obligation",
	    "essential", "Essential Legal Obligation", NULL },
	{ TAXONOMY_USE, "essential.service",
	    "essential", "Essential for Service", NULL },
	{ TAXONOMY_USE, "essential.service.authentication",
	    "essential.service", "Essential Service Authentication", NULL },
	{ TAXONOMY_USE, "essential.service.notifications",
	    "essential.service", "Essential Service Notifications", NULL },
	{ TAXONOMY_USE, "essential.service.notifications.email",
	    "essential.service.notifications",
	    "Essential Email Service Notifications", NULL },
	{ TAXONOMY_USE, "essential.service.notifications.sms",
	    "essential.service.notifications",
	    "Essential SMS Service Notifications", NULL },
	{ TAXONOMY_USE, "essential.service.operations",
	    "essential.service", "Essential for Operations", NULL },
	{ TAXONOMY_USE, "essential.service.operations.improve",
	    "essential.service.operations",
	    "Essential for Support Improvement", NULL },
	{ TAXONOMY_USE, "essential.service.operations.support",
	    "essential.service.operations",
	    "Essential for Operations Support", NULL },
	{ TAXONOMY_USE, "essential.service.payment_processing",
	    "essential.service", "Essential for Payment Processing", NULL },
	{ TAXONOMY_USE, "essential.service.security",
	    "essential.service", "Essential for Security", NULL },
	{ TAXONOMY_USE, "essential.service.upgrades",
	    "essential.service", "Essential for Service Upgrades", NULL },
	{ TAXONOMY_USE, "finance",
	    NULL, "Finance", NULL },
	{ TAXONOMY_USE, "functional",
	    NULL, "Functional", NULL },
	{ TAXONOMY_USE, "functional.service",
	    "functional", "Service", NULL },
	{ TAXONOMY_USE, "functional.service.improve",
	    "functional.service", "Improve Service", NULL },
	{ TAXONOMY_USE, "functional.storage",
	    "functional", "Local Data Storage", NULL },
	{ TAXONOMY_USE, "functional.storage.privacy_preferences",
	    "functional.storage",
	    "Local Data Storage for Privacy Preferences", NULL },
	{ TAXONOMY_USE, "marketing",
	    NULL, "Marketing", NULL },
	{ TAXONOMY_USE, "marketing.advertising",
	    "marketing", "Advertising, Marketing or Promotion", NULL },
	{ TAXONOMY_USE, "marketing.advertising.first_party",
	    "marketing.advertising", "First Party Advertising", NULL },
	{ TAXONOMY_USE, "marketing.advertising.first_party.contextual",
	    "marketing.advertising.first_party",
	    "First Party Contextual Advertising", NULL },
	{ TAXONOMY_USE, "marketing.advertising.first_party.targeted",
	    "marketing.advertising.first_party",
	    "First Party Personalized Advertising", NULL },
	{ TAXONOMY_USE, "marketing.advertising.frequency_capping",
	    "marketing.advertising", "Frequency Capping", NULL },
	{ TAXONOMY_USE, "marketing.advertising.negative_targeting",
	    "marketing.advertising", "Negative Targeting", NULL },
	{ TAXONOMY_USE, "marketing.advertising.profiling",
	    "marketing.advertising", "Profiling for Advertising", NULL },
	{ TAXONOMY_USE, "marketing.advertising.serving",
	    "marketing.advertising", "Essential for Serving Ads", NULL },
	{ TAXONOMY_USE, "marketing.advertising.third_party",
	    "marketing.advertising", "Third Party Advertising", NULL },
	{ TAXONOMY_USE, "marketing.advertising.third_party.targeted",
	    "marketing.advertising.third_party",
	    "Third Party Targeted Advertising", NULL },
	{ TAXONOMY_USE, "marketing.communications",
	    "marketing", "Marketing Communications", NULL },
	{ TAXONOMY_USE, "marketing.communications.email",
	    "marketing.communications",
	    "Marketing Email Communications", NULL },
	{ TAXONOMY_USE, "marketing.communications.sms",
	    "marketing.communications", "Marketing SMS Communications", NULL },
	{ TAXONOMY_USE, "operations",
	    NULL, "Operations", NULL },
	{ TAXONOMY_USE, "personalize",
	    NULL, "Personalize", NULL },
	{ TAXONOMY_USE, "personalize.content",
	    "personalize", "Content Personalization", NULL },
	{ TAXONOMY_USE, "personalize.content.limited",
	    "personalize.content", "Limited Content Personalization", NULL },
	{ TAXONOMY_USE, "personalize.content.profiled",
	    "personalize.content", "Targeted Content Personalization", NULL },
	{ TAXONOMY_USE, "personalize.content.profiling",
	    "personalize.content", "Profiling for Personalization", NULL },
	{ TAXONOMY_USE, "personalize.profiling",
	    "personalize",
	    "Personalized Profiling", "personalize.content.profiling" },
	{ TAXONOMY_USE, "personalize.system",
	    "personalize", "System Personalization", NULL },
	{ TAXONOMY_USE, "sales",
	    NULL, "Sales", NULL },
	{ TAXONOMY_USE, "third_party_sharing",
	    NULL, "Third Party Sharing", NULL },
	{ TAXONOMY_USE, "third_party_sharing.legal_obligation",
	    "third_party_sharing", "Sharing for Legal Obligation", NULL },
	{ TAXONOMY_USE, "train_ai_system",
	    NULL, "Train AI System", NULL },
};

size_t
taxonomy_size(void)
{
	return ELEMENTSOF(taxonomy_table);
}

const struct taxonomy_entry *
taxonomy_entry_at(size_t i)
{
	if (i >= ELEMENTSOF(taxonomy_table))
		return NULL;
	return &taxonomy_table[i];
}

static int
taxonomy_compare(enum taxonomy_kind kind, const char *key,
    const struct taxonomy_entry *e)
{
	if (kind != e->kind)
		return kind < e->kind ? -1 : 1;
	return strcmp(key, e->key);
}

const struct taxonomy_entry *
taxonomy_lookup(enum taxonomy_kind kind, const char *key)
{
	size_t lo = 0, hi = ELEMENTSOF(taxonomy_table);

	if (!key)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = taxonomy_compare(kind, key, &taxonomy_table[mid]);

		if (c == 0)
			return &taxonomy_table[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct taxonomy_entry *
taxonomy_nearest(enum taxonomy_kind kind, const char *key)
{
	char buf[256];
	size_t len;

	if (!key)
		return NULL;
	len = strlen(key);
	if (len >= sizeof(buf))
		return NULL;
	memcpy(buf, key, len + 1);
	for (;;) {
		const struct taxonomy_entry *e = taxonomy_lookup(kind, buf);
		char *dot;

		if (e)
			return e;
		dot = strrchr(buf, '.');
		if (!dot)
			return NULL;
		*dot = '\0';
	}
}

bool
taxonomy_covers(const char *prefix, const char *key)
{
	size_t n;

	if (!prefix || !key)
		return false;
	n = strlen(prefix);
	if (n == 0 || strncmp(prefix, key, n) != 0)
		return false;
	return key[n] == '\0' || key[n] == '.';
}

bool
taxonomy_key_valid(const char *key)
{
	size_t seg = 0, len = 0;

	if (!key)
		return false;
	for (const char *p = key; *p; p++, len++) {
		char c = *p;

		if (len >= 255)
			return false;
		if (c == '.') {
			if (seg == 0)
				return false;
			seg = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
		seg++;
	}
	return seg > 0;
}
