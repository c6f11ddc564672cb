# bulkd image: build on Debian 12 with the project's own set-up script, run on a slim
# Debian 12 with only the runtime libraries.
FROM debian:12 AS build
WORKDIR /src
COPY scripts/setup.sh scripts/setup.sh
RUN bash scripts/setup.sh
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBULKD_BUILD_TESTS=OFF \
      -DBULKD_BUILD_BENCH=OFF \
 && cmake --build build -j"$(nproc)" --target bulkd bulkctl smsc-sim bizmsg-sim dev-broker

FROM debian:12-slim
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      librdkafka1 librdkafka++1 libhiredis0.14 libprometheus-cpp-core1.0 libsimdjson14 \
      libspdlog1.10 libfmt9 libyaml-cpp0.7 libcctz2 libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/dispatcher/bulkd /usr/local/bin/bulkd
COPY --from=build /src/build/tools/bulkctl/bulkctl /usr/local/bin/bulkctl
COPY --from=build /src/build/tools/smsc_sim/smsc-sim /usr/local/bin/smsc-sim
COPY --from=build /src/build/tools/bizmsg_sim/bizmsg-sim /usr/local/bin/bizmsg-sim
COPY --from=build /src/build/tools/dev_broker/dev-broker /usr/local/bin/dev-broker
USER 65534:65534
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/bulkd"]
CMD ["--config", "/etc/bulkd/bulkd.yaml"]
