# The Enrolment Cases API. Built and run by docker-compose.yml; see README.md.

# The web app (web/): built from its lock file, copied into the API's build below (served at /).
FROM node:22-bookworm-slim AS web
WORKDIR /source/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /source

# Restore first, from the project file alone, so the package layer is reused while only code changes.
COPY src/EnrolmentCases.Api/EnrolmentCases.Api.csproj src/EnrolmentCases.Api/
# The runtime identifier too: the publish compiles ahead of time for it (ReadyToRun, docs/adr/0035).
RUN dotnet restore src/EnrolmentCases.Api/EnrolmentCases.Api.csproj --use-current-runtime

COPY src/ src/
COPY --from=web /source/web/dist web/dist
RUN dotnet publish src/EnrolmentCases.Api/EnrolmentCases.Api.csproj \
    -c Release --use-current-runtime -o /app --no-restore -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# The base image (Ubuntu 24.04) has neither curl nor wget; the compose health checks call curl.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
# Where compose mounts the audit anchors' volume; owned by the API's user, so a fresh volume is writable.
RUN mkdir -p /var/lib/enrolment-cases/anchors && chown "$APP_UID" /var/lib/enrolment-cases/anchors

# The image's non-root user; the API listens on 8080 (ASPNETCORE_HTTP_PORTS in the base image).
USER $APP_UID
EXPOSE 8080

# Arguments after the image name are application commands, e.g. `token --role auditor`.
ENTRYPOINT ["dotnet", "EnrolmentCases.Api.dll"]
