# Gateway on the CPU: built with the .NET 10 SDK, run on the ASP.NET Core runtime, the tiny models inside.
#   docker build -t gateway .
#   docker run -p 8080:8080 -e Gateway__ApiKeys__0=sk-local-1 -v gateway-data:/data gateway
# Real models: mount a folder with models.json over /models:
#   docker run -p 8080:8080 -v /srv/models:/models gateway
# The CUDA image is Dockerfile.cuda. This one uses ONNX Runtime's CPU package (OnnxRuntimeFlavor=Cpu), 300 MB smaller.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /source
# Restore from the project files alone, so that a change of source code does not download the packages again.
COPY Directory.Build.props ./
COPY src/Gateway/Gateway.csproj src/Gateway/
COPY src/Gateway.Diffusion/Gateway.Diffusion.csproj src/Gateway.Diffusion/
RUN dotnet restore src/Gateway/Gateway.csproj -r linux-x64 -p:OnnxRuntimeFlavor=Cpu
COPY src/ src/
# -r linux-x64: only this platform's native libraries (a portable publish carries every platform's, over 500 MB).
RUN dotnet publish src/Gateway/Gateway.csproj -c Release -r linux-x64 --self-contained false --no-restore \
      -p:OnnxRuntimeFlavor=Cpu -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
# A new volume on /models starts as a copy of these; a folder mounted there replaces them.
COPY onnx-models/ /models/
RUN mkdir -p /data && chown "$APP_UID" /data
ENV ASPNETCORE_HTTP_PORTS=8080 \
    Gateway__ModelsDir=/models \
    Gateway__DataDir=/data
VOLUME ["/data", "/models"]
EXPOSE 8080
# The base image has neither curl nor wget; bash speaks enough HTTP.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# The runtime image's unprivileged user.
USER $APP_UID
ENTRYPOINT ["dotnet", "Gateway.dll"]
