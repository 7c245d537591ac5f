from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("tickets/", views.queue_index, name="index"),
    path("tickets/queue/<str:queue>/", views.queue, name="queue"),
    path("tickets/counts/", views.queue_counts_view, name="counts"),
    path("tickets/new/", views.ticket_new, name="create"),
    path("tickets/bulk-assign/", views.bulk_assign, name="bulk_assign"),
    path("tickets/<str:number>/", views.ticket_detail, name="detail"),
    path("tickets/<str:number>/reply/", views.ticket_reply_view, name="reply"),
    path("tickets/<str:number>/action/<str:action>/", views.ticket_action, name="action"),
    path("tickets/<str:number>/presence/", views.ticket_presence, name="presence"),
    path("callbacks/", views.callback_list, name="callbacks"),
    path("callbacks/<int:callback_id>/record/", views.callback_record_view, name="callback_record"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/bell/", views.bell, name="bell"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("customers/", views.customer_list, name="customers"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer"),
    path("customers/<int:customer_id>/reveal/", views.customer_reveal, name="customer_reveal"),
    path("customers/<int:customer_id>/merge/", views.customer_merge_view, name="customer_merge"),
]
