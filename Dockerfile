# Gateway: build with the .NET 10 SDK, run on the ASP.NET runtime with the committed tiny models.
#   docker build -t gateway . && docker run -p 8080:8080 -e Gateway__ApiKeys__0=sk-local-1 gateway
# Real models: mount them and point Gateway:ModelsDir at the folder, e.g.
#   docker run -p 8080:8080 -v /srv/models:/models -e Gateway__ModelsDir=/models gateway
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /source
COPY Directory.Build.props Gateway.sln ./
COPY src/ src/
RUN dotnet publish src/Gateway/Gateway.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
COPY onnx-models/ /app/onnx-models/
ENV ASPNETCORE_URLS=http://+:8080 \
    Gateway__ModelsDir=/app/onnx-models \
    Gateway__DataDir=/data
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["dotnet", "Gateway.dll"]
