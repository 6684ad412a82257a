#!/bin/sh
# Writes the demo's datasets, manifests and jobs into DIR: product reviews
# from 20 subjects (collected in the last months, 5-anonymous on zip3 and
# age band), and a copy where a comment column hides e-mail addresses.
# Usage: contrib/demo/make-data.sh DIR
set -eu
dir=$1
mkdir -p "$dir"
day() { date -u -d "-$1 days" +%Y-%m-%dT%H:%M:%SZ; }

{
	echo "user_id,zip3,age_band,comment,collected_at,label"
	i=1
	while [ "$i" -le 20 ]; do
		if [ "$i" -le 10 ]; then zip=101; age=30-39; else zip=102; age=40-49; fi
		printf 'u-%04d,%s,%s,review number %d,%s,%d\n' "$i" "$zip" "$age" "$i" \
			"$(day $((i * 3)))" $((i % 2))
		i=$((i + 1))
	done
} > "$dir/reviews.csv"
# The same rows, but some comments carry e-mail addresses the manifest
# does not declare.
awk -F, 'BEGIN { OFS = "," } NR > 1 && NR % 4 == 0 { $4 = "contact me at person" NR "@example.com" } { print }' \
	"$dir/reviews.csv" > "$dir/reviews-email.csv"

for name in reviews reviews-email; do
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
done

# DP-SGD on the clean data: about epsilon 2 of the dataset's 8.
cat > "$dir/job-train.yaml" <<'EOM'
job: sentiment-ft-0001
purpose: train_ai_system
datasets: [reviews.yaml]
requester: ml-pipeline@example.org
model: { name: sentiment, version: "1.0" }
privacy:
  mechanism: dp-sgd
  noise_multiplier: 1.1
  sample_rate: 0.01
  steps: 1000
  delta: 1e-6
EOM
# The same data after a subject revoked consent.
sed -e 's/sentiment-ft-0001/sentiment-ft-0002/' "$dir/job-train.yaml" > "$dir/job-after-revoke.yaml"
# Data with undeclared e-mail addresses.
sed -e 's/sentiment-ft-0001/sentiment-ft-0003/' -e 's/reviews.yaml/reviews-email.yaml/' \
	"$dir/job-train.yaml" > "$dir/job-pii.yaml"
# A release whose privacy cost the remaining budget cannot pay.
cat > "$dir/job-budget.yaml" <<'EOM'
job: stats-release-0004
purpose: train_ai_system
datasets: [reviews.yaml]
requester: analytics@example.org
privacy: { mechanism: epsilon-delta, epsilon: 7, delta: 1e-7 }
EOM
echo "subject,purpose,method,source" > "$dir/consents.csv"
i=1
while [ "$i" -le 20 ]; do
	printf 'u-%04d,train_ai_system,web-form,signup\n' "$i" >> "$dir/consents.csv"
	i=$((i + 1))
done
