#!/bin/sh
# Writes a dataset of N product reviews with the columns of
# contrib/demo/make-data.sh (user_id, zip3, age_band, comment, collected_at,
# label), one row per subject, its manifest NAME.yaml, and NAME-consents.csv
# granting train_ai_system to every subject. Quasi-identifiers form 20
# classes (zip3 x age_band) of N/20 rows, so the data is k-anonymous for
# any k <= N/20; every row was collected in the last 600 days; comments
# hold no personal data.
# Usage: bench/check/gen-data.sh DIR NAME N
set -eu
dir=$1
name=$2
n=$3
mkdir -p "$dir"
now=$(date -u +%s)
awk -v n="$n" -v now="$now" -v prefix="$name" 'BEGIN {
	OFS = ","
	print "user_id,zip3,age_band,comment,collected_at,label"
	split("18-29 30-39 40-49 50-59 60-69", bands, " ")
	for (i = 1; i <= n; i++) {
		zip = 101 + (i % 4)
		band = bands[1 + int(i / 4) % 5]
		t = now - 86400 * (1 + (i * 7) % 600)
		print sprintf("%s-%06d", prefix, i), zip, band,
		    "review number " i " of the product", 
		    strftime("%Y-%m-%dT%H:%M:%SZ", t, 1), i % 2
	}
}' > "$dir/$name.csv"
awk -v n="$n" -v prefix="$name" 'BEGIN {
	print "subject,purpose,method,source"
	for (i = 1; i <= n; i++)
		printf "%s-%06d,train_ai_system,web-form,signup\n", prefix, i
}' > "$dir/$name-consents.csv"
cat > "$dir/$name.yaml" <<EOM
dataset: $name
path: $name.csv
subject_field: user_id
labels: { region: eu }
fields:
  user_id: { category: user.unique_id, role: identifier }
  zip3: { category: user.location.imprecise, role: quasi_identifier }
  age_band: { category: user.demographic.age_range, role: quasi_identifier }
  comment: { category: user.content.private }
  collected_at: { role: timestamp }
  label: { role: safe }
EOM
