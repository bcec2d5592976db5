# Builds both Berth programs from source; the compose file picks a target.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre AS registry
COPY --from=build /src/registry-server/target/berth-registry-*.jar /opt/berth/berth-registry.jar
COPY registry-server/bin/berth-registry /opt/berth/berth-registry
# The launcher's extracted jar and start-up archive for this image's JVM, made once here instead of at every
# container's first start (README, Launchers).
RUN BERTH_PREPARE_ONLY=1 /opt/berth/berth-registry
EXPOSE 5000
ENTRYPOINT ["/opt/berth/berth-registry"]

FROM eclipse-temurin:17-jre AS puller
COPY --from=build /src/client-puller/target/berth-pull-*.jar /opt/berth/berth-pull.jar
ENTRYPOINT ["java", "-jar", "/opt/berth/berth-pull.jar"]
