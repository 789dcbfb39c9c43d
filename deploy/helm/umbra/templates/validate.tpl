{{/*
Checks the schema cannot express. Included from deployment.yaml, so
`helm template`, `helm lint` and `helm install` all run them.
*/}}
{{- define "umbra.validate" -}}
{{- $seen := dict }}
{{- range $i, $p := .Values.pools }}
{{- if hasKey $seen $p.name }}
{{- fail (printf "pools[%d].name: %q is used by more than one pool; pool names must be unique" $i $p.name) }}
{{- end }}
{{- $_ := set $seen $p.name true }}
{{- $as := default dict $p.autoscaling }}
{{- if and $as.enabled $as.minReplicas $as.maxReplicas (gt (int $as.minReplicas) (int $as.maxReplicas)) }}
{{- fail (printf "pools[%d].autoscaling: minReplicas (%d) is greater than maxReplicas (%d)" $i (int $as.minReplicas) (int $as.maxReplicas)) }}
{{- end }}
{{- end }}
{{- with .Values.temporal.tls }}
{{- if and .secretName (or (not .certKey) (not .keyKey)) }}
{{- fail "temporal.tls: certKey and keyKey are required with secretName (the client certificate and key in the Secret)" }}
{{- end }}
{{- end }}
{{- end }}
