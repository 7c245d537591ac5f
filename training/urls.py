from django.urls import path

from training import views

app_name = "training"

urlpatterns = [
    path("training/", views.my_training, name="mine"),
    path("training/record.xlsx", views.my_record_xlsx, name="my_record"),
    path("training/team/", views.team_training, name="team"),
    path("training/sessions/<int:session_id>/", views.session_detail, name="session"),
    path("training/sessions/<int:session_id>/enrol/", views.session_enrol, name="enrol"),
    path(
        "training/sessions/<int:session_id>/sheet.xlsx",
        views.session_score_sheet,
        name="score_sheet",
    ),
    path("training/sessions/<int:session_id>/upload/", views.scores_upload, name="upload"),
    path(
        "training/sessions/<int:session_id>/status/",
        views.session_status,
        name="session_status",
    ),
    path(
        "training/enrolments/<int:enrolment_id>/assess/",
        views.enrolment_assess,
        name="assess",
    ),
    path(
        "training/enrolments/<int:enrolment_id>/retake/",
        views.enrolment_retake,
        name="retake",
    ),
    path(
        "training/enrolments/<int:enrolment_id>/feedback/",
        views.enrolment_feedback,
        name="feedback",
    ),
    path(
        "training/enrolments/<int:enrolment_id>/withdraw/",
        views.enrolment_withdraw,
        name="withdraw",
    ),
    path("training/flags/<int:flag_id>/decide/", views.flag_decide, name="flag_decide"),
]
