{{/* Chart name, truncated to the 63-character label limit. */}}
{{- define "umbra.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified prefix for resource names. Pool names are appended to it, so
it is kept to 40 characters (pool names are at most 20 by the schema).
*/}}
{{- define "umbra.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "umbra.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "umbra.labels" -}}
helm.sh/chart: {{ include "umbra.chart" . }}
{{ include "umbra.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "umbra.selectorLabels" -}}
app.kubernetes.io/name: {{ include "umbra.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector of one pool's pods: call with (dict "root" $ "pool" $pool). */}}
{{- define "umbra.poolSelectorLabels" -}}
{{ include "umbra.selectorLabels" .root }}
app.kubernetes.io/component: worker
umbra/pool: {{ .pool.name }}
{{- end }}

{{- define "umbra.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "umbra.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* image reference: call with (dict "image" $img "root" $). */}}
{{- define "umbra.image" -}}
{{- if .image.digest }}
{{- printf "%s@%s" .image.repository .image.digest }}
{{- else }}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) }}
{{- end }}
{{- end }}

{{/*
A pool with poolDefaults filled in. A key set on the pool replaces the
default's value whole (shallow merge). Returns YAML; use with fromYaml.
*/}}
{{- define "umbra.pool" -}}
{{- $pool := deepCopy .root.Values.poolDefaults }}
{{- range $k, $v := .pool }}
{{- $_ := set $pool $k $v }}
{{- end }}
{{- toYaml $pool }}
{{- end }}

{{/* Environment shared by workers and the submit Job: Temporal, store, credentials. */}}
{{- define "umbra.connectionEnv" -}}
- name: UMBRA_TEMPORAL
  value: {{ .Values.temporal.address | quote }}
- name: UMBRA_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
- name: UMBRA_STORE
  value: {{ .Values.store.url | quote }}
{{- with .Values.temporal.tls }}
{{- if .enabled }}
- name: UMBRA_TLS
  value: "true"
{{- if .serverName }}
- name: UMBRA_TLS_SERVER_NAME
  value: {{ .serverName | quote }}
{{- end }}
{{- if .secretName }}
{{- if .caKey }}
- name: UMBRA_TLS_CA
  value: /etc/umbra/tls/{{ .caKey }}
{{- end }}
- name: UMBRA_TLS_CERT
  value: /etc/umbra/tls/{{ .certKey }}
- name: UMBRA_TLS_KEY
  value: /etc/umbra/tls/{{ .keyKey }}
{{- end }}
{{- end }}
{{- end }}
{{- with .Values.store.credentials }}
{{- if .secretName }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .accessKeyIdKey }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .secretAccessKeyKey }}
{{- if .sessionTokenKey }}
- name: AWS_SESSION_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .sessionTokenKey }}
{{- end }}
{{- end }}
{{- end }}
- name: HOME
  value: /tmp
{{- end }}

{{/* Volumes shared by workers and the submit Job. */}}
{{- define "umbra.volumes" -}}
- name: tmp
  emptyDir:
    {{- if .Values.scratch.medium }}
    medium: {{ .Values.scratch.medium }}
    {{- end }}
    {{- if .Values.scratch.sizeLimit }}
    sizeLimit: {{ .Values.scratch.sizeLimit }}
    {{- end }}
{{- if and .Values.temporal.tls.enabled .Values.temporal.tls.secretName }}
- name: temporal-tls
  secret:
    secretName: {{ .Values.temporal.tls.secretName }}
    defaultMode: 0440
    items:
      {{- if .Values.temporal.tls.caKey }}
      - key: {{ .Values.temporal.tls.caKey }}
        path: {{ .Values.temporal.tls.caKey }}
      {{- end }}
      - key: {{ .Values.temporal.tls.certKey }}
        path: {{ .Values.temporal.tls.certKey }}
      - key: {{ .Values.temporal.tls.keyKey }}
        path: {{ .Values.temporal.tls.keyKey }}
{{- end }}
{{- end }}

{{- define "umbra.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if and .Values.temporal.tls.enabled .Values.temporal.tls.secretName }}
- name: temporal-tls
  mountPath: /etc/umbra/tls
  readOnly: true
{{- end }}
{{- end }}
